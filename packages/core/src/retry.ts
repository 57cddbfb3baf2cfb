/**
 * Retries with backoff for transient model and store failures. One concept per file under
 * `retry/` (the loop, transient-error classification, Retry-After, provider-error mapping);
 * this module keeps the imports of before working.
 */
export { redactSecrets } from "./redact-secrets.ts";
export {
  isTransientError,
  retryAfterMs,
  toLLMProviderError,
  type WithRetryOptions,
  withRetry,
} from "./retry/index.ts";
export type { RetryOptions } from "./retry-types.ts";
