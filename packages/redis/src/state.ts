import { RedisCache, type RedisCacheOptions } from "./cache.ts";
import { RedisConnection, type RedisConnectionOptions } from "./connection.ts";
import { RedisRateLimitStore } from "./rate-limit.ts";
import { RedisUsageTracker } from "./usage.ts";

export interface RedisStateOptions extends RedisConnectionOptions {
  /** Prefix of every key written. Default `"deeprecall:"`. Give fleets sharing a Redis their own. */
  prefix?: string;
  /** Failure policy of all three components (see `RedisComponentOptions.failOpen`). Default `true`. */
  failOpen?: boolean;
  /** Default TTL of cache entries in seconds (0 = none). Default 3600. */
  cacheTtlSeconds?: number;
  /** Refill buckets by Redis' clock (`"server"`, default) or the caller's. */
  rateLimitClock?: "server" | "caller";
}

/** Everything a server replica shares with the rest of its fleet, on one connection. */
export interface RedisState {
  readonly connection: RedisConnection;
  /** For `createApp(engine, { rateLimit: { requestsPerMinute, store } })`. */
  readonly rateLimitStore: RedisRateLimitStore;
  /** For `new DeepRecallEngine({ cache })`. */
  readonly cache: RedisCache;
  /** For `new DeepRecallEngine({ callbacks: [usageTracker] })`; feeds `GET /v1/usage`. */
  readonly usageTracker: RedisUsageTracker;
  /** Flushes pending usage and closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens one Redis connection (in the background: a Redis that is down at startup follows the
 * failure policy and is picked up when it comes) and builds the three shared components on it.
 *
 * ```ts
 * const redis = createRedisState({ url: process.env.REDIS_URL });
 * const engine = new DeepRecallEngine({ vectorStore, model, cache: redis.cache, callbacks: [redis.usageTracker] });
 * const app = createApp(engine, { rateLimit: { requestsPerMinute: 60, store: redis.rateLimitStore } });
 * // on shutdown, after engine.close(): await redis.close();
 * ```
 */
export function createRedisState(options: RedisStateOptions = {}): RedisState {
  const connection = new RedisConnection(options);
  const shared = {
    connection,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.failOpen !== undefined ? { failOpen: options.failOpen } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const cacheOptions: RedisCacheOptions = { ...shared };
  if (options.cacheTtlSeconds !== undefined) cacheOptions.ttlSeconds = options.cacheTtlSeconds;
  const usageTracker = new RedisUsageTracker(shared);
  return {
    connection,
    rateLimitStore: new RedisRateLimitStore({
      ...shared,
      ...(options.rateLimitClock ? { clock: options.rateLimitClock } : {}),
    }),
    cache: new RedisCache(cacheOptions),
    usageTracker,
    async close() {
      await usageTracker.close();
      await connection.close();
    },
  };
}
