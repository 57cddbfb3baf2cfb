import { describe, expect, it } from "vitest";
import { apiError, RetryError } from "./__fixtures__/provider-errors.ts";
import { isAiRetryError } from "./ai-retry-error.ts";

describe("isAiRetryError", () => {
  it("recognises the AI SDK's RetryError by its marker, stand-in and real", async () => {
    expect(isAiRetryError(new RetryError({ message: "x", reason: "maxRetriesExceeded", errors: [] }))).toBe(
      true,
    );
    const { RetryError: RealRetryError } = await import("ai");
    expect(
      isAiRetryError(
        new RealRetryError({ message: "x", reason: "maxRetriesExceeded", errors: [apiError(503)] }),
      ),
    ).toBe(true);
  });

  it("is false for other errors", () => {
    expect(isAiRetryError(apiError(503))).toBe(false);
    expect(isAiRetryError(new Error("x"))).toBe(false);
    expect(isAiRetryError(null)).toBe(false);
  });
});
