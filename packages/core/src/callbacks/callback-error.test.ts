import { describe, expect, it } from "vitest";
import { DeepRecallError } from "../errors/deeprecall-error.ts";
import { CallbackError } from "./callback-error.ts";

describe("CallbackError", () => {
  it("names the hook and callback, keeps the cause, and carries its marker", () => {
    const cause = new Error("disk full");
    const error = new CallbackError("onSearch", "JsonlCallback", cause);
    expect(error).toMatchObject({
      hook: "onSearch",
      callbackName: "JsonlCallback",
      cause,
      code: "callback_error",
    });
    expect(error.message).toBe("Callback JsonlCallback.onSearch failed: disk full");
    expect(CallbackError.isInstance(error)).toBe(true);
    expect(DeepRecallError.isInstance(error)).toBe(true);
  });

  it("recognises one from a second copy of the package, and nothing else", () => {
    const foreign = Object.assign(new Error("x"), {
      [Symbol.for("deeprecall.error.DeepRecallError")]: true,
      [Symbol.for("deeprecall.error.CallbackError")]: true,
    });
    expect(CallbackError.isInstance(foreign)).toBe(true);
    expect(CallbackError.isInstance(new DeepRecallError("x"))).toBe(false);
  });
});
