import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AISDKError, APICallError } from "@ai-sdk/provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AbortError,
  BudgetExceededError,
  ConfigError,
  isAbortError,
  LLMProviderError,
  SandboxError,
  VectorStoreError,
} from "./errors.ts";
import { isTransientError, redactSecrets, retryAfterMs, toLLMProviderError, withRetry } from "./retry.ts";

function apiError(
  statusCode: number | undefined,
  extra: Partial<ConstructorParameters<typeof APICallError>[0]> = {},
) {
  return new APICallError({
    message: statusCode ? `Provider said ${statusCode}` : "Cannot connect to API: connect ECONNREFUSED",
    url: "https://api.example.com/v1/chat/completions?key=AIzaSyD-super-secret-key-000000000",
    requestBodyValues: { messages: [{ role: "user", content: "PRIVATE PROMPT" }] },
    statusCode,
    ...extra,
  });
}

/**
 * Stand-in for the `ai` package's RetryError, built on the provider's AISDKError with the same
 * marker (the last test checks the real class carries that marker).
 */
const RETRY_MARKER: unique symbol = Symbol.for("vercel.ai.error.AI_RetryError") as never;
class RetryError extends AISDKError {
  readonly [RETRY_MARKER] = true;
  readonly reason: string;
  readonly errors: unknown[];
  readonly lastError: unknown;
  constructor({ message, reason, errors }: { message: string; reason: string; errors: unknown[] }) {
    super({ name: "AI_RetryError", message });
    this.reason = reason;
    this.errors = errors;
    this.lastError = errors.at(-1);
  }
}

function networkError(code: string): Error {
  return Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }),
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("withRetry", () => {
  it("returns the first success without retrying", async () => {
    const fn = vi.fn(async (attempt: number) => `ok ${attempt}`);
    await expect(withRetry(fn, { baseDelayMs: 1 })).resolves.toBe("ok 1");
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["HTTP 429", () => apiError(429)],
    ["HTTP 503", () => apiError(503)],
    ["ECONNRESET", () => networkError("ECONNRESET")],
    ["retryable VectorStoreError", () => new VectorStoreError("store busy", { retryable: true })],
  ])("retries on %s, then succeeds", async (_label, makeError) => {
    const retries: Array<[unknown, number, number]> = [];
    const fn = vi.fn(async (attempt: number) => {
      if (attempt < 3) throw makeError();
      return { attempt };
    });
    const result = await withRetry(fn, {
      maxRetries: 3,
      baseDelayMs: 1,
      onRetry: (error, attempt, delayMs) => retries.push([error, attempt, delayMs]),
    });
    expect(result).toEqual({ attempt: 3 });
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(retries.map(([, attempt]) => attempt)).toEqual([1, 2]);
  });

  it("does not retry a 400 and rethrows it unchanged", async () => {
    const error = apiError(400);
    const fn = vi.fn(async () => {
      throw error;
    });
    await expect(withRetry(fn, { baseDelayMs: 1 })).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("gives up after maxRetries and throws the last error", async () => {
    let n = 0;
    const fn = vi.fn(async () => {
      n += 1;
      throw apiError(503, { message: `failure ${n}` });
    });
    const rejection = await withRetry(fn, { maxRetries: 2, baseDelayMs: 1 }).catch((e: unknown) => e);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(rejection).toBeInstanceOf(APICallError);
    expect((rejection as Error).message).toBe("failure 3");
  });

  it("makes exactly one attempt with maxRetries 0", async () => {
    const fn = vi.fn(async () => {
      throw apiError(429);
    });
    await expect(withRetry(fn, { maxRetries: 0 })).rejects.toBeInstanceOf(APICallError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("uses a custom isRetryable predicate", async () => {
    const fn = vi.fn(async (attempt: number) => {
      if (attempt === 1) throw new Error("custom transient");
      return "done";
    });
    await expect(
      withRetry(fn, { baseDelayMs: 1, isRetryable: (e) => (e as Error).message === "custom transient" }),
    ).resolves.toBe("done");
    const never = vi.fn(async () => {
      throw apiError(503);
    });
    await expect(withRetry(never, { baseDelayMs: 1, isRetryable: () => false })).rejects.toBeInstanceOf(
      APICallError,
    );
    expect(never).toHaveBeenCalledTimes(1);
  });

  it("backs off exponentially with full jitter, capped at maxDelayMs", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const delays: number[] = [];
    const fn = async () => {
      throw apiError(503);
    };
    await expect(
      withRetry(fn, {
        maxRetries: 4,
        baseDelayMs: 4,
        maxDelayMs: 12,
        onRetry: (_e, _a, d) => delays.push(d),
      }),
    ).rejects.toBeInstanceOf(APICallError);
    // Caps per retry: 4, 8, 16 -> 12, 32 -> 12; jitter picks half of each.
    expect(delays).toEqual([2, 4, 6, 6]);
  });

  it("waits at least what Retry-After asks, within maxDelayMs", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const delays: number[] = [];
    const fn = vi.fn(async (attempt: number) => {
      if (attempt === 1) throw apiError(429, { responseHeaders: { "retry-after-ms": "7" } });
      if (attempt === 2) throw apiError(429, { responseHeaders: { "Retry-After": "3600" } });
      return "ok";
    });
    await withRetry(fn, { baseDelayMs: 1, maxDelayMs: 20, onRetry: (_e, _a, d) => delays.push(d) });
    expect(delays).toEqual([7, 20]);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const fn = vi.fn(async () => "never");
    const controller = new AbortController();
    controller.abort();
    const error = await withRetry(fn, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(fn).not.toHaveBeenCalled();
  });

  it("aborts during a backoff wait without waiting it out", async () => {
    // Without an abortable wait this test would sit ~10 minutes and hit the test timeout.
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const controller = new AbortController();
    const fn = vi.fn(async () => {
      throw apiError(503);
    });
    const run = withRetry(fn, {
      signal: controller.signal,
      baseDelayMs: 600_000,
      maxDelayMs: 600_000,
      onRetry: () => setImmediate(() => controller.abort(new Error("user cancelled"))),
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error("user cancelled"));
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("aborts while an attempt is running, even if the attempt ignores the signal", async () => {
    const controller = new AbortController();
    const fn = vi.fn(
      (_attempt: number) =>
        new Promise<string>(() => {
          setImmediate(() => controller.abort());
        }),
    );
    const error = await withRetry(fn, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("does not retry when the attempt itself failed because of the abort", async () => {
    const controller = new AbortController();
    const fn = vi.fn(async () => {
      controller.abort();
      throw Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    });
    const error = await withRetry(fn, { signal: controller.signal, baseDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("reports a timeout signal as an AbortError saying it timed out", async () => {
    const fn = () => new Promise<never>(() => {});
    const error = await withRetry(fn, { signal: AbortSignal.timeout(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it("rejects bad options with ConfigError", async () => {
    await expect(withRetry(async () => 1, { maxRetries: -1 })).rejects.toThrow(ConfigError);
    await expect(withRetry(async () => 1, { baseDelayMs: Number.NaN })).rejects.toThrow(/baseDelayMs/);
  });

  it("retries a real refused connection, then reaches the server once it listens", async () => {
    // Grab a free port, close it so the first attempts are refused, then listen on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    let server: Server | undefined;
    try {
      const body = await withRetry(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/`);
          return response.text();
        },
        {
          maxRetries: 5,
          baseDelayMs: 1,
          onRetry: (error, attempt) => {
            expect(isTransientError(error)).toBe(true);
            if (attempt === 1) {
              server = createServer((_req, res) => res.end("hello"));
              server.listen(port, "127.0.0.1");
            }
          },
        },
      );
      expect(body).toBe("hello");
    } finally {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  });
});

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

describe("retryAfterMs", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterMs({ responseHeaders: { "retry-after-ms": "250" } })).toBe(250);
    expect(retryAfterMs({ responseHeaders: { "retry-after": "2" } })).toBe(2000);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs({ responseHeaders: { "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" } }, now)).toBe(
      5000,
    );
    expect(retryAfterMs({ headers: new Headers({ "Retry-After": "1" }) })).toBe(1000);
    expect(retryAfterMs({ responseHeaders: { "retry-after": "soon" } })).toBeUndefined();
    expect(retryAfterMs(new Error("x"))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

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

describe("redactSecrets", () => {
  it.each([
    ["Bearer abc.def-ghi", "abc.def-ghi"],
    ["key sk-ant-api03-AAAAAAAAAAAAAAAA", "sk-ant-api03"],
    ["google AIzaSyD4-abcdefghijklmnopqrstuvwx", "AIzaSy"],
    ['{"api_key": "s3cr3t-value"}', "s3cr3t-value"],
    ["https://x?apiKey=hunter2&x=1", "hunter2"],
    ["pinecone pcsk_abcdefghijklmnop", "pcsk_abcdefghijklmnop"],
  ])("removes %s", (input, secret) => {
    expect(redactSecrets(input)).not.toContain(secret);
  });

  it("leaves ordinary text alone", () => {
    const text = "The model is overloaded (risk-free task-manager tokens: 100). Try again.";
    expect(redactSecrets(text)).toBe(text);
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
