export { isTransientError } from "./is-transient-error.ts";
export { retryAfterMs } from "./retry-after.ts";
export { toLLMProviderError } from "./to-llm-provider-error.ts";
export { type WithRetryOptions, withRetry } from "./with-retry.ts";
