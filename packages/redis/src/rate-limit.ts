import type { RateLimitDecision, RateLimitStore } from "@deeprecall/middleware";
import type { RedisConnection } from "./connection.ts";
import { RedisUnavailableError } from "./errors.ts";
import { LuaScript } from "./script.ts";
import { type RedisComponentOptions, resolveConnection } from "./shared.ts";

/**
 * The whole token-bucket update in one script, so it is atomic across every replica:
 * KEYS[1] = bucket; ARGV = now (ms), capacity, refill per second, clock ("server" | "caller").
 * The bucket is a hash {tokens, ts}; it expires once it would have refilled completely (plus a
 * second), since a full bucket and a missing one mean the same.
 * Returns {allowed (0/1), whole tokens left, seconds until the next token (as a string: Redis
 * truncates Lua numbers to integers)}.
 */
const TOKEN_BUCKET = `
local capacity = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local now
if ARGV[4] == "server" then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
else
  now = tonumber(ARGV[1])
end
local state = redis.call("HMGET", KEYS[1], "tokens", "ts")
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
else
  local elapsed = math.max(0, now - ts) / 1000
  tokens = math.min(capacity, tokens + elapsed * rate)
  if now > ts then ts = now end
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate
end
redis.call("HSET", KEYS[1], "tokens", string.format("%.17g", tokens), "ts", string.format("%.17g", ts))
redis.call("PEXPIRE", KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return { allowed, math.floor(tokens), string.format("%.17g", retry) }
`;
const script = new LuaScript(TOKEN_BUCKET);

export interface RedisRateLimitStoreOptions extends RedisComponentOptions {
  /**
   * Whose clock refills the buckets. `"server"` (default): Redis' own `TIME`, read inside the
   * script, so replicas whose clocks drift apart still share one timeline. `"caller"`: the
   * `now` the middleware passes (its `now` option), for deterministic tests on one process.
   */
  clock?: "server" | "caller";
}

/**
 * A `RateLimitStore` for `rateLimiter()` from `@deeprecall/middleware` whose buckets live in
 * Redis, so every replica of a server draws from the same bucket per API key / client IP.
 * Each `take` is one atomic Lua script.
 *
 * When Redis is unreachable: with `failOpen` (the default) the request is allowed and a warning
 * is logged once per outage; with `failOpen: false` `take` throws `RedisUnavailableError`,
 * which `@deeprecall/server` answers with an OpenAI-shaped 503.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #connection: RedisConnection;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #failOpen: boolean;
  readonly #clock: "server" | "caller";

  constructor(options: RedisRateLimitStoreOptions = {}) {
    const resolved = resolveConnection(options);
    this.#connection = resolved.connection;
    this.#owned = resolved.owned;
    this.#prefix = `${options.prefix ?? "deeprecall:"}rl:`;
    this.#failOpen = options.failOpen ?? true;
    this.#clock = options.clock ?? "server";
  }

  async take(
    key: string,
    now: number,
    capacity: number,
    refillPerSecond: number,
  ): Promise<RateLimitDecision> {
    try {
      const [allowed, remaining, retry] = await script.run<[number, number, string]>(
        this.#connection,
        [this.#prefix + key],
        [String(now), String(capacity), String(refillPerSecond), this.#clock],
      );
      return {
        allowed: Number(allowed) === 1,
        remaining: Number(remaining),
        retryAfterSeconds: Number(retry),
      };
    } catch (error) {
      // Outages are logged once by the connection; here only the policy applies.
      if (!(error instanceof RedisUnavailableError) || !this.#failOpen) throw error;
      return { allowed: true, remaining: Math.max(0, Math.floor(capacity) - 1), retryAfterSeconds: 0 };
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#connection.close();
  }
}
