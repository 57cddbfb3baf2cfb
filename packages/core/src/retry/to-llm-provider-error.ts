import { APICallError } from "@ai-sdk/provider";
import { LLMProviderError } from "../errors/llm-provider-error.ts";
import { redactSecrets } from "../redact-secrets.ts";
import { isAiRetryError } from "./ai-retry-error.ts";
import { statusOf } from "./http-status.ts";
import { isTransientError } from "./is-transient-error.ts";
import { networkCode } from "./network-error.ts";
import { retryAfterMs } from "./retry-after.ts";

const MAX_MESSAGE_CHARS = 500;

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

/** The error's message on one line, secrets redacted, at most {@link MAX_MESSAGE_CHARS}. */
function shortMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";
  const redacted = redactSecrets(raw).replace(/\s+/g, " ").trim();
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
}

/**
 * Maps any model-call failure (AI SDK `APICallError`, `RetryError`, network errors, ...) to core's
 * `LLMProviderError` with the HTTP `status` when known, `retryable` per
 * {@link isTransientError} and the provider's `retryAfterMs` when it sent one. The message names the status, the endpoint (without query string)
 * and the provider's own message with anything key-like redacted; request headers and bodies
 * are never included, and an `APICallError` (which holds the request body) is not kept as cause.
 * An `LLMProviderError` (from any copy of core) is returned unchanged. Check `isAbortError`
 * first: aborts are not provider failures.
 */
export function toLLMProviderError(error: unknown): LLMProviderError {
  if (LLMProviderError.isInstance(error)) return error;
  if (isAiRetryError(error)) {
    const inner = toLLMProviderError(error.lastError);
    const attempts = Array.isArray(error.errors) ? error.errors.length : undefined;
    return new LLMProviderError(attempts ? `${inner.message} (after ${attempts} attempts)` : inner.message, {
      status: inner.status,
      retryable: inner.retryable,
      ...(inner.retryAfterMs !== undefined ? { retryAfterMs: inner.retryAfterMs } : {}),
      cause: inner,
    });
  }
  const status = statusOf(error);
  const retryable = isTransientError(error);
  const wait = retryAfterMs(error);
  const after = wait !== undefined ? { retryAfterMs: wait } : {};
  if (APICallError.isInstance(error)) {
    const url = safeUrl(error.url);
    const where = url ? ` from ${url}` : "";
    const what = status !== undefined ? `HTTP ${status}${where}` : `request${where} failed`;
    const code = networkCode(error.cause);
    return new LLMProviderError(
      `LLM provider error (${what}${code ? `, ${code}` : ""}): ${shortMessage(error)}`,
      { status, retryable, ...after },
    );
  }
  const code = networkCode(error);
  const prefix = status !== undefined ? `LLM provider error (HTTP ${status})` : "LLM provider error";
  return new LLMProviderError(`${prefix}: ${shortMessage(error)}${code ? ` (${code})` : ""}`, {
    status,
    retryable,
    ...after,
    // Plain errors (network failures, SDK errors without request data) are safe to keep.
    cause: error instanceof Error && !("requestBodyValues" in error) ? error : undefined,
  });
}
