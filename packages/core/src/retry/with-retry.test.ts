import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { APICallError } from "@ai-sdk/provider";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortError, ConfigError, isAbortError, VectorStoreError } from "../errors.ts";
import { apiError, networkError } from "./__fixtures__/provider-errors.ts";
import { isTransientError } from "./is-transient-error.ts";
import { withRetry } from "./with-retry.ts";

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
