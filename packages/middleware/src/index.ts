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
  RATE_LIMIT_HEADERS_SET,
  type RateLimitDecision,
  type RateLimiterOptions,
  type RateLimitStore,
  type RateLimitVariables,
  rateLimiter,
} from "./rate-limit.ts";
export {
  checkTrustProxy,
  clientAddress,
  DEFAULT_EXEMPT_PATHS,
  isExemptPath,
  nodeRemoteAddress,
  type OpenAIErrorBody,
  openAIError,
  requestHeader,
} from "./shared.ts";
