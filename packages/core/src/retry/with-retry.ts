import { abortErrorFrom } from "../abort/abort-error-from.ts";
import { raceAbort } from "../abort/race-abort.ts";
import { sleep } from "../abort/sleep.ts";
import { AbortError } from "../errors/abort-error.ts";
import { ConfigError } from "../errors/config-error.ts";
import { isAbortError } from "../errors/is-abort-error.ts";
import type { RetryOptions } from "../retry-types.ts";
import { isTransientError } from "./is-transient-error.ts";
import { retryAfterMs } from "./retry-after.ts";

export interface WithRetryOptions extends RetryOptions {
  /** Aborts the whole operation, including a backoff wait in progress. */
  signal?: AbortSignal;
  /** Whether a failure is worth another attempt. Default {@link isTransientError}. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each backoff wait with the failure, the attempt that failed (1-based) and the wait. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 10_000;

function checkNumber(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new ConfigError(`retry.${field} must be a finite number >= ${min}, got ${String(value)}`, {
      field: `retry.${field}`,
    });
  }
  return value;
}

/**
 * Calls `fn` until it succeeds, retrying failures that `isRetryable` accepts (transient ones by
 * default) up to `maxRetries` times. Waits between attempts grow exponentially with full jitter:
 * a random delay in [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))), raised to a server's
 * Retry-After when one is given (never above maxDelayMs). `fn` receives the attempt number,
 * starting at 1. When the retries run out, the last error is thrown unchanged.
 *
 * `signal` aborts promptly, whether `fn` is running or the loop is waiting: the promise rejects
 * with an `AbortError` (core's) and no further attempt starts.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: WithRetryOptions = {},
): Promise<T> {
  const maxRetries = checkNumber(options.maxRetries, "maxRetries", 0) ?? DEFAULT_MAX_RETRIES;
  const baseDelayMs = checkNumber(options.baseDelayMs, "baseDelayMs", 0) ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = checkNumber(options.maxDelayMs, "maxDelayMs", 0) ?? DEFAULT_MAX_DELAY_MS;
  const { signal, onRetry } = options;
  const isRetryable = options.isRetryable ?? isTransientError;

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortErrorFrom(signal);
    try {
      return await raceAbort(
        Promise.resolve().then(() => fn(attempt)),
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw AbortError.isInstance(error) ? error : abortErrorFrom(signal);
      if (attempt > maxRetries || isAbortError(error) || !isRetryable(error)) throw error;
      const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      let delayMs = Math.floor(Math.random() * cap);
      const asked = retryAfterMs(error);
      if (asked !== undefined) delayMs = Math.max(delayMs, Math.min(asked, maxDelayMs));
      onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
