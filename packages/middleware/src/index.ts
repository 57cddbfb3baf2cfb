export {
  type ApiKeyAuthOptions,
  type ApiKeyAuthVariables,
  type ApiKeyValidator,
  apiKeyAuth,
  apiKeyId,
} from "./auth.ts";
export {
  MemoryRateLimitStore,
  type RateLimitDecision,
  type RateLimiterOptions,
  type RateLimitStore,
  rateLimiter,
} from "./rate-limit.ts";
export { DEFAULT_EXEMPT_PATHS, isExemptPath, type OpenAIErrorBody, openAIError } from "./shared.ts";
