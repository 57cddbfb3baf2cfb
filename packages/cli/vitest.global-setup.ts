import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The end-to-end tests run the CLI as users do: the built `dist/bin.js`. So build it first
 * (workspace dependencies are built by turbo's `^build` before `test`). Set
 * DEEPRECALL_CLI_FROM_SOURCE=1 to run the TypeScript sources instead, without a build.
 */
export default function setup(): void {
  if (process.env.DEEPRECALL_CLI_FROM_SOURCE === "1" || process.env.DEEPRECALL_CLI_BIN) return;
  const root = fileURLToPath(new URL(".", import.meta.url));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  process.env.DEEPRECALL_CLI_BIN = fileURLToPath(new URL("./dist/bin.js", import.meta.url));
}
