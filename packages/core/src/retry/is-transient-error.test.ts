import { describe, expect, it } from "vitest";
import {
  AbortError,
  BudgetExceededError,
  ConfigError,
  LLMProviderError,
  SandboxError,
  VectorStoreError,
} from "../errors.ts";
import { apiError, networkError, RetryError } from "./__fixtures__/provider-errors.ts";
import { isTransientError } from "./is-transient-error.ts";

describe("isTransientError", () => {
  it.each([
    ["429", apiError(429)],
    ["500", apiError(500)],
    ["502", apiError(502)],
    ["503", apiError(503)],
    ["504", apiError(504)],
    ["408", apiError(408)],
    ["APICallError without status marked retryable", apiError(undefined, { isRetryable: true })],
    ["fetch failed / ECONNREFUSED", networkError("ECONNREFUSED")],
    ["ETIMEDOUT", Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })],
    ["undici socket error", Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })],
    [
      "AggregateError of refusals",
      Object.assign(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]), {}),
    ],
    ["plain object with status 503", { status: 503, message: "unavailable" }],
    ["retryable LLMProviderError", new LLMProviderError("overloaded", { status: 529, retryable: true })],
    ["retryable VectorStoreError", new VectorStoreError("busy", { retryable: true })],
    [
      "AI SDK RetryError around a 429",
      new RetryError({ message: "x", reason: "maxRetriesExceeded", errors: [apiError(429), apiError(429)] }),
    ],
  ])("true for %s", (_label, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ["400", apiError(400)],
    ["401", apiError(401)],
    ["403", apiError(403)],
    ["404", apiError(404)],
    ["422", apiError(422)],
    ["501", apiError(501)],
    ["400 even if the SDK marked it retryable", apiError(400, { isRetryable: true })],
    ["ConfigError", new ConfigError("bad")],
    ["BudgetExceededError", new BudgetExceededError("maxTokens")],
    ["SandboxError", new SandboxError("worker died")],
    ["non-retryable LLMProviderError", new LLMProviderError("bad key", { status: 401 })],
    ["non-retryable VectorStoreError", new VectorStoreError("bad filter")],
    ["core AbortError", new AbortError()],
    ["DOM AbortError", new DOMException("aborted", "AbortError")],
    ["TimeoutError", new DOMException("timed out", "TimeoutError")],
    ["plain Error", new Error("boom")],
    ["TypeError", new TypeError("x is not a function")],
    ["a string", "fetch failed"],
    ["null", null],
    ["undefined", undefined],
    [
      "AI SDK RetryError around a 400",
      new RetryError({ message: "x", reason: "errorNotRetryable", errors: [apiError(400)] }),
    ],
  ])("false for %s", (_label, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe("isTransientError with errors of a second copy of @deeprecall/core", () => {
  const foreign = (name: string, fields: Record<string, unknown>) =>
    Object.assign(new Error("from another copy"), fields, {
      [Symbol.for("deeprecall.error.DeepRecallError")]: true,
      [Symbol.for(`deeprecall.error.${name}`)]: true,
    });

  it("reads retryable from a foreign LLMProviderError or VectorStoreError", () => {
    expect(isTransientError(foreign("LLMProviderError", { retryable: true, status: 503 }))).toBe(true);
    expect(isTransientError(foreign("LLMProviderError", { retryable: false, status: 503 }))).toBe(false);
    expect(isTransientError(foreign("VectorStoreError", { retryable: true }))).toBe(true);
  });

  it("treats any other foreign error of ours as final, whatever it looks like", () => {
    expect(isTransientError(foreign("ConfigError", { status: 503, message: "fetch failed" }))).toBe(false);
  });
});
