import { describe, expect, it } from "vitest";
import { AbortError } from "../errors/abort-error.ts";
import { raceAbort } from "./race-abort.ts";

const never = () => new Promise<never>(() => {});

describe("raceAbort", () => {
  it("settles like the promise when no signal fires", async () => {
    await expect(raceAbort(Promise.resolve(1), undefined)).resolves.toBe(1);
    await expect(raceAbort(Promise.resolve(2), new AbortController().signal)).resolves.toBe(2);
    await expect(raceAbort(Promise.reject(new Error("boom")), new AbortController().signal)).rejects.toThrow(
      "boom",
    );
  });

  it("rejects with core's AbortError as soon as the signal fires, even if the work ignores it", async () => {
    const controller = new AbortController();
    const raced = raceAbort(never(), controller.signal);
    controller.abort(new Error("stop"));
    const error = await raced.catch((e: unknown) => e);
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as AbortError).cause).toEqual(new Error("stop"));
  });

  it("rejects at once for a signal that already fired, with the given message", async () => {
    const error = await raceAbort(never(), AbortSignal.abort(), "ChromaStore search was aborted").catch(
      (e: unknown) => e,
    );
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("ChromaStore search was aborted");
  });

  it("says 'timed out' for a timeout", async () => {
    const error = await raceAbort(never(), AbortSignal.timeout(1)).catch((e: unknown) => e);
    expect((error as Error).message).toBe("The operation timed out");
  });

  it("keeps a reason that already is core's AbortError", async () => {
    const reason = new AbortError("the query was aborted");
    const error = await raceAbort(never(), AbortSignal.abort(reason)).catch((e: unknown) => e);
    expect(error).toBe(reason);
  });

  it("stops listening once the promise settled", async () => {
    const controller = new AbortController();
    await raceAbort(Promise.resolve("done"), controller.signal);
    controller.abort();
    // nothing left to reject: an unhandled rejection would fail the run
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
});
