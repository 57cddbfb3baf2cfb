import { describe, expect, it } from "vitest";
import { LLMProviderError } from "../errors.ts";
import { apiError, networkError, RetryError } from "./__fixtures__/provider-errors.ts";
import { isTransientError } from "./is-transient-error.ts";
import { toLLMProviderError } from "./to-llm-provider-error.ts";

describe("toLLMProviderError", () => {
  it("maps an APICallError to status, retryable and a clean message", () => {
    const error = toLLMProviderError(
      apiError(401, {
        message:
          "Incorrect API key provided: sk-proj-abcdef1234567890abcdef. Authorization: Bearer sk-live-xyz123456789",
        responseHeaders: { "x-request-id": "req_1" },
        responseBody: '{"error":{"message":"Incorrect API key provided: sk-proj-abcdef1234567890abcdef"}}',
      }),
    );
    expect(error).toBeInstanceOf(LLMProviderError);
    expect(error.status).toBe(401);
    expect(error.retryable).toBe(false);
    expect(error.code).toBe("llm_provider_error");
    expect(error.message).toContain("HTTP 401");
    expect(error.message).toContain("https://api.example.com/v1/chat/completions");
    const everything = JSON.stringify({
      message: error.message,
      cause: String(error.cause),
      stack: error.stack,
    });
    expect(everything).not.toMatch(/sk-proj|sk-live|AIza|PRIVATE PROMPT|\?key=|x-request-id/);
    expect(error.cause).toBeUndefined();
  });

  it("marks 429 and 5xx retryable", () => {
    expect(toLLMProviderError(apiError(429)).retryable).toBe(true);
    expect(toLLMProviderError(apiError(503))).toMatchObject({ status: 503, retryable: true });
  });

  it("keeps the wait the provider asked for (retry-after), also through a RetryError", () => {
    expect(toLLMProviderError(apiError(429, { responseHeaders: { "retry-after": "7" } })).retryAfterMs).toBe(
      7000,
    );
    expect(toLLMProviderError(apiError(503)).retryAfterMs).toBeUndefined();
    const last = apiError(429, { responseHeaders: { "retry-after-ms": "250" } });
    const wrapped = toLLMProviderError(
      new RetryError({ message: "failed", reason: "maxRetriesExceeded", errors: [last] }),
    );
    expect(wrapped).toMatchObject({ status: 429, retryAfterMs: 250 });
  });

  it("maps network failures as retryable without a status", () => {
    const error = toLLMProviderError(networkError("ECONNREFUSED"));
    expect(error).toMatchObject({ status: undefined, retryable: true });
    expect(error.message).toMatch(/fetch failed.*ECONNREFUSED/);
    const wrapped = toLLMProviderError(
      apiError(undefined, { isRetryable: true, cause: networkError("ECONNRESET") }),
    );
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.message).toContain("ECONNRESET");
  });

  it("unwraps the AI SDK's RetryError", () => {
    const error = toLLMProviderError(
      new RetryError({
        message: "Failed after 3 attempts",
        reason: "maxRetriesExceeded",
        errors: [apiError(503), apiError(503), apiError(429)],
      }),
    );
    expect(error).toMatchObject({ status: 429, retryable: true });
    expect(error.message).toMatch(/HTTP 429.*after 3 attempts/);
  });

  it("returns an LLMProviderError unchanged and wraps anything else", () => {
    const original = new LLMProviderError("x", { status: 500, retryable: true });
    expect(toLLMProviderError(original)).toBe(original);
    const foreign = Object.assign(new Error("from another copy of core"), {
      status: 503,
      retryable: true,
      [Symbol.for("deeprecall.error.DeepRecallError")]: true,
      [Symbol.for("deeprecall.error.LLMProviderError")]: true,
    });
    expect(toLLMProviderError(foreign)).toBe(foreign);
    const fromString = toLLMProviderError("weird failure with api_key=abc123secret");
    expect(fromString).toBeInstanceOf(LLMProviderError);
    expect(fromString.message).not.toContain("abc123secret");
    expect(toLLMProviderError(new Error("boom")).cause).toBeInstanceOf(Error);
  });

  it("truncates very long provider messages", () => {
    const error = toLLMProviderError(apiError(500, { message: "x".repeat(5000) }));
    expect(error.message.length).toBeLessThan(700);
  });
});

describe("compatibility with the ai package", () => {
  it("recognises the real RetryError of `ai`", async () => {
    const { RetryError: RealRetryError } = await import("ai");
    const error = new RealRetryError({ message: "x", reason: "maxRetriesExceeded", errors: [apiError(503)] });
    expect(isTransientError(error)).toBe(true);
    expect(toLLMProviderError(error)).toMatchObject({ status: 503, retryable: true });
  });
});
