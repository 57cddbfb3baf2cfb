export {
  type ApiKeyAuthOptions,
  type ApiKeyAuthVariables,
  type ApiKeyValidator,
  type AuthFailure,
  type AuthThrottleOptions,
  apiKeyAuth,
  apiKeyId,
  requestKey,
} from "./auth.ts";
export {
  MemoryRateLimitStore,
  type RateLimitDecision,
  type RateLimiterOptions,
  type RateLimitStore,
  rateLimiter,
} from "./rate-limit.ts";
export {
  DEFAULT_EXEMPT_PATHS,
  isExemptPath,
  nodeRemoteAddress,
  type OpenAIErrorBody,
  openAIError,
} from "./shared.ts";
