/**
 * Loaded by every package's tests (vitest.shared.ts): a test file fails if, while it ran, the
 * sandbox reported an internal QuickJS failure (a failed assertion, a runtime freed with live
 * handles). Those are bugs even when every assertion of the test passed. Crashes and hangs are
 * not counted here: tests provoke them on purpose and check the reports themselves.
 */
import { afterAll } from "vitest";

const failures: string[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code === "DEEPRECALL_SANDBOX" && warning.message.startsWith("sandbox quickjs:")) {
    failures.push(warning.message);
  }
};
process.on("warning", onWarning);

afterAll(() => {
  process.off("warning", onWarning);
  if (failures.length > 0) {
    throw new Error(`the sandbox reported QuickJS failures during this file:\n${failures.join("\n")}`);
  }
});
