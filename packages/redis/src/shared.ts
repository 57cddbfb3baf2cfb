import { ConfigError } from "@deeprecall/core";
import {
  defaultLogger,
  RedisConnection,
  type RedisConnectionOptions,
  type RedisLogger,
} from "./connection.ts";

/** Options every Redis-backed component takes. */
export interface RedisComponentOptions extends RedisConnectionOptions {
  /**
   * A connection to share with other components (see `createRedisState`). Without one the
   * component opens its own from `url` and closes it in `close()`; a shared one is left open.
   */
  connection?: RedisConnection;
  /** Prefix of every key this component writes. Default `"deeprecall:"`. */
  prefix?: string;
  /**
   * What to do while Redis is unreachable. `true` (default): carry on without it (allow the
   * request, treat the cache as empty, keep usage increments in memory until Redis is back) and
   * log a warning once per outage. `false`: fail with `RedisUnavailableError` (HTTP 503).
   */
  failOpen?: boolean;
}

export function resolveConnection(options: RedisComponentOptions): {
  connection: RedisConnection;
  owned: boolean;
  logger: RedisLogger;
} {
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw new ConfigError("prefix must be a string", { field: "prefix" });
  }
  if (options.connection) {
    return { connection: options.connection, owned: false, logger: options.logger ?? defaultLogger };
  }
  return { connection: new RedisConnection(options), owned: true, logger: options.logger ?? defaultLogger };
}
