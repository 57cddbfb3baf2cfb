import { APICallError } from "@ai-sdk/provider";
import {
  AbortError,
  ConfigError,
  DeepRecallError,
  isAbortError,
  LLMProviderError,
  VectorStoreError,
} from "./errors.ts";
import type { RetryOptions } from "./retry-types.ts";

export type { RetryOptions } from "./retry-types.ts";

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

function abortErrorFrom(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortError) return reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return new AbortError(timedOut ? "The operation timed out" : "The operation was aborted", {
    cause: reason,
  });
}

/** Resolves after `ms`, or rejects as soon as `signal` fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFrom(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `promise` but rejects as soon as `signal` fires, even if the work ignores the signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortErrorFrom(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}

/**
 * The wait a server asked for (`retry-after-ms`, or `retry-after` in seconds or as an HTTP date),
 * in ms, when the error carries response headers; else undefined.
 */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  const headers =
    (error as { responseHeaders?: unknown } | null)?.responseHeaders ??
    (error as { headers?: unknown } | null)?.headers;
  const ms = Number.parseFloat(headerValue(headers, "retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headerValue(headers, "retry-after");
  if (raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
      if (signal?.aborted) throw error instanceof AbortError ? error : abortErrorFrom(signal);
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

/**
 * The `ai` package's `RetryError` (thrown when its own retries run out), recognised by the
 * marker symbol the AI SDK puts on its errors, so this module does not load all of `ai`.
 */
interface AiRetryError extends Error {
  lastError: unknown;
  errors: unknown[];
}
const RETRY_ERROR_MARKER = Symbol.for("vercel.ai.error.AI_RetryError");
function isAiRetryError(error: unknown): error is AiRetryError {
  return (
    error !== null &&
    typeof error === "object" &&
    (error as Record<symbol, unknown>)[RETRY_ERROR_MARKER] === true
  );
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTCONN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  // Bun's spellings.
  "ConnectionRefused",
  "ConnectionClosed",
  "FailedToOpenSocket",
]);

const TRANSIENT_MESSAGE =
  /fetch failed|failed to fetch|socket hang up|network (error|connection)|other side closed|^terminated$/i;

/** Transient HTTP statuses: timeout, rate limit, and server errors except "not implemented"-type ones. */
function isTransientStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505)
  );
}

function statusOf(error: unknown): number | undefined {
  if (!error || typeof error !== "object") return undefined;
  const record = error as { statusCode?: unknown; status?: unknown };
  const status = typeof record.statusCode === "number" ? record.statusCode : record.status;
  return typeof status === "number" && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

function isNetworkError(error: unknown, depth: number): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  if (typeof message === "string" && TRANSIENT_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

/**
 * True for failures worth retrying: HTTP 408/429/5xx (AI SDK `APICallError` or any error with a
 * numeric `status`/`statusCode`), network failures (connection reset/refused, timeouts, DNS
 * hiccups, undici's "fetch failed" and socket errors), and `LLMProviderError`/`VectorStoreError`
 * marked `retryable`. False for other 4xx, config and budget errors, aborts and unknown errors.
 */
export function isTransientError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  if (isAbortError(error)) return false;
  if (error instanceof LLMProviderError || error instanceof VectorStoreError) return error.retryable;
  // Every other error of ours (ConfigError, BudgetExceededError, SandboxError, ...) is final.
  if (error instanceof DeepRecallError) return false;
  if (isAiRetryError(error)) return isTransientError(error.lastError);
  const status = statusOf(error);
  if (status !== undefined) return isTransientStatus(status);
  if (APICallError.isInstance(error)) return error.isRetryable || isNetworkError(error.cause, 0);
  return isNetworkError(error, 0);
}

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"],
  [/\b(sk|pk|rk)-[A-Za-z0-9_-]{6,}[A-Za-z0-9_*.-]*/g, "[redacted-key]"],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, "[redacted-key]"],
  [/\b(xai|gsk|pcsk|hf|r8|pplx|nvapi)[-_][A-Za-z0-9_-]{10,}/gi, "[redacted-key]"],
  [
    /((?:api[-_]?key|access[-_]?token|token|secret|password|authorization)["']?\s*[:=]\s*["']?)[^\s"',&}]+/gi,
    "$1[redacted]",
  ],
];

/** Removes things that look like credentials from a message. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** The URL without credentials, query string or fragment (query strings can carry keys). */
function safeUrl(url: unknown): string | undefined {
  if (typeof url !== "string" || url === "") return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

function shortMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";
  const redacted = redactSecrets(raw).replace(/\s+/g, " ").trim();
  return redacted.length > 500 ? `${redacted.slice(0, 500)}…` : redacted;
}

function networkCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== "object" || depth > 5) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return code;
  return networkCode(cause, depth + 1);
}

/**
 * Maps any model-call failure (AI SDK `APICallError`, `RetryError`, network errors, ...) to core's
 * `LLMProviderError` with the HTTP `status` when known and `retryable` per
 * {@link isTransientError}. The message names the status, the endpoint (without query string)
 * and the provider's own message with anything key-like redacted; request headers and bodies
 * are never included, and an `APICallError` (which holds the request body) is not kept as cause.
 * An `LLMProviderError` is returned unchanged. Check `isAbortError` first: aborts are not
 * provider failures.
 */
export function toLLMProviderError(error: unknown): LLMProviderError {
  if (error instanceof LLMProviderError) return error;
  if (isAiRetryError(error)) {
    const inner = toLLMProviderError(error.lastError);
    const attempts = Array.isArray(error.errors) ? error.errors.length : undefined;
    return new LLMProviderError(attempts ? `${inner.message} (after ${attempts} attempts)` : inner.message, {
      status: inner.status,
      retryable: inner.retryable,
      cause: inner,
    });
  }
  const status = statusOf(error);
  const retryable = isTransientError(error);
  if (APICallError.isInstance(error)) {
    const url = safeUrl(error.url);
    const where = url ? ` from ${url}` : "";
    const what = status !== undefined ? `HTTP ${status}${where}` : `request${where} failed`;
    const code = networkCode(error.cause);
    return new LLMProviderError(
      `LLM provider error (${what}${code ? `, ${code}` : ""}): ${shortMessage(error)}`,
      { status, retryable },
    );
  }
  const code = networkCode(error);
  const prefix = status !== undefined ? `LLM provider error (HTTP ${status})` : "LLM provider error";
  return new LLMProviderError(`${prefix}: ${shortMessage(error)}${code ? ` (${code})` : ""}`, {
    status,
    retryable,
    // Plain errors (network failures, SDK errors without request data) are safe to keep.
    cause: error instanceof Error && !("requestBodyValues" in error) ? error : undefined,
  });
}
