/**
 * The `ai` package's `RetryError` (thrown when its own retries run out), recognised by the
 * marker symbol the AI SDK puts on its errors, so this module does not load all of `ai`.
 */
export interface AiRetryError extends Error {
  lastError: unknown;
  errors: unknown[];
}

const RETRY_ERROR_MARKER = Symbol.for("vercel.ai.error.AI_RetryError");

export function isAiRetryError(error: unknown): error is AiRetryError {
  return (
    error !== null &&
    typeof error === "object" &&
    (error as Record<symbol, unknown>)[RETRY_ERROR_MARKER] === true
  );
}
