export { RedisCache, type RedisCacheOptions } from "./cache.ts";
export {
  RedisConnection,
  type RedisConnectionOptions,
  type RedisLogEntry,
  type RedisLogger,
} from "./connection.ts";
export { RedisUnavailableError } from "./errors.ts";
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from "./rate-limit.ts";
export type { RedisComponentOptions } from "./shared.ts";
export { createRedisState, type RedisState, type RedisStateOptions } from "./state.ts";
export { RedisUsageTracker, type RedisUsageTrackerOptions } from "./usage.ts";
