import { LLMProviderError } from "./errors.ts";

/** The limit a run records when a root model turn timed out on every attempt. */
export const CALL_TIMEOUT_LIMIT = "callTimeoutMs";

/** The abort reason of a model request cut by its per-call timeout. */
export function callTimeoutReason(): DOMException {
  return new DOMException("model call timed out", "TimeoutError");
}

/**
 * The error of a model request cut by `callTimeoutMs` (ms): a retryable `LLMProviderError` whose
 * cause is a `TimeoutError`, so {@link isCallTimeout} can tell it from other provider failures.
 */
export function callTimeoutError(timeoutMs: number): LLMProviderError {
  return new LLMProviderError(
    `LLM provider error: the model call timed out after ${Math.round(timeoutMs / 100) / 10} s (callTimeoutMs)`,
    { retryable: true, cause: callTimeoutReason() },
  );
}

/** Whether `error` is a model request cut by its per-call timeout ({@link callTimeoutError}). */
export function isCallTimeout(error: unknown): boolean {
  if (!LLMProviderError.isInstance(error)) return false;
  const cause = error.cause as { name?: unknown } | undefined;
  return cause?.name === "TimeoutError";
}
