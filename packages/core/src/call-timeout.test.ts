import { describe, expect, it } from "vitest";
import { callTimeoutError, isCallTimeout } from "./call-timeout.ts";
import { LLMProviderError } from "./errors.ts";

describe("call timeouts", () => {
  it("are retryable provider errors naming the limit in seconds", () => {
    const error = callTimeoutError(1500);
    expect(LLMProviderError.isInstance(error)).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe("LLM provider error: the model call timed out after 1.5 s (callTimeoutMs)");
  });

  it("are told apart from other provider failures", () => {
    expect(isCallTimeout(callTimeoutError(100))).toBe(true);
    expect(isCallTimeout(new LLMProviderError("503 from the backend", { retryable: true }))).toBe(false);
    expect(isCallTimeout(new DOMException("model call timed out", "TimeoutError"))).toBe(false);
  });
});
