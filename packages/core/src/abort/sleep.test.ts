import { describe, expect, it } from "vitest";
import { AbortError } from "../errors/abort-error.ts";
import { sleep } from "./sleep.ts";

describe("sleep", () => {
  it("resolves after the wait", async () => {
    const started = performance.now();
    await sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it("rejects with core's AbortError when the signal fires during the wait, or already has", async () => {
    const controller = new AbortController();
    const waiting = sleep(10_000, controller.signal);
    controller.abort();
    expect(AbortError.isInstance(await waiting.catch((e: unknown) => e))).toBe(true);
    expect(AbortError.isInstance(await sleep(10_000, AbortSignal.abort()).catch((e: unknown) => e))).toBe(
      true,
    );
  });
});
