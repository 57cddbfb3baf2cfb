import { APICallError } from "@ai-sdk/provider";
import { DeepRecallError } from "../errors/deeprecall-error.ts";
import { isAbortError } from "../errors/is-abort-error.ts";
import { LLMProviderError } from "../errors/llm-provider-error.ts";
import { VectorStoreError } from "../errors/vector-store-error.ts";
import { isAiRetryError } from "./ai-retry-error.ts";
import { isTransientStatus, statusOf } from "./http-status.ts";
import { isNetworkError } from "./network-error.ts";

/**
 * True for failures worth retrying: HTTP 408/429/5xx (AI SDK `APICallError` or any error with a
 * numeric `status`/`statusCode`), network failures (connection reset/refused, timeouts, DNS
 * hiccups, undici's "fetch failed" and socket errors), and `LLMProviderError`/`VectorStoreError`
 * marked `retryable`. False for other 4xx, config and budget errors, aborts and unknown errors.
 * Core's errors are recognised by their markers, also when they come from another copy of core.
 */
export function isTransientError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  if (isAbortError(error)) return false;
  if (LLMProviderError.isInstance(error) || VectorStoreError.isInstance(error)) return error.retryable;
  // Every other error of ours (ConfigError, BudgetExceededError, SandboxError, ...) is final.
  if (DeepRecallError.isInstance(error)) return false;
  if (isAiRetryError(error)) return isTransientError(error.lastError);
  const status = statusOf(error);
  if (status !== undefined) return isTransientStatus(status);
  if (APICallError.isInstance(error)) return error.isRetryable || isNetworkError(error.cause);
  return isNetworkError(error);
}
