import { describe, expect, it } from "vitest";
import { AbortError } from "./abort-error.ts";
import { isAbortError } from "./is-abort-error.ts";

describe("isAbortError", () => {
  it("recognises core's AbortError, also from a second copy of the package", () => {
    expect(isAbortError(new AbortError())).toBe(true);
    const foreign = new Error("aborted elsewhere");
    Object.defineProperty(foreign, Symbol.for("deeprecall.error.AbortError"), { value: true });
    expect(isAbortError(foreign)).toBe(true);
  });

  it("recognises DOM and Node aborts and timeouts by name", () => {
    expect(isAbortError(new DOMException("x", "AbortError"))).toBe(true);
    expect(isAbortError(new DOMException("x", "TimeoutError"))).toBe(true);
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(controller.signal.reason)).toBe(true);
  });

  it("is false for other errors and values", () => {
    expect(isAbortError(new Error("aborted"))).toBe(false);
    expect(isAbortError("AbortError")).toBe(false);
    expect(isAbortError(undefined)).toBe(false);
  });
});
