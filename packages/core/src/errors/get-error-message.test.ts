import { describe, expect, it } from "vitest";
import { getErrorMessage } from "./get-error-message.ts";

describe("getErrorMessage", () => {
  it("is an Error's message, and anything else as a string", () => {
    expect(getErrorMessage(new TypeError("bad"))).toBe("bad");
    expect(getErrorMessage("plain")).toBe("plain");
    expect(getErrorMessage(42)).toBe("42");
    expect(getErrorMessage(undefined)).toBe("undefined");
  });
});
