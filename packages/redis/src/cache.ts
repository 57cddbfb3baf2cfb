import {
  type CacheStore,
  ConfigError,
  deserializeValue as deserialize,
  serializeValue as serialize,
} from "@deeprecall/core";
import type { RedisConnection } from "./connection.ts";
import { RedisUnavailableError } from "./errors.ts";
import { type RedisComponentOptions, resolveConnection } from "./shared.ts";

export interface RedisCacheOptions extends RedisComponentOptions {
  /** Time to live of entries written without one, in seconds (0 = no expiry). Default 3600. */
  ttlSeconds?: number;
  /** Keys deleted per `UNLINK` (and asked for per `SCAN`) in `clear()`. Default 500. */
  scanCount?: number;
}

/**
 * A `CacheStore` (`@deeprecall/core`) in Redis, shared by every replica: pass it as the
 * engine's `cache` and a result computed on one replica is a hit on all the others.
 *
 * Values are stored as JSON that round-trips `undefined`, `NaN`, `Infinity`, `Date` and
 * `bigint`, under `<prefix>cache:<key>`, with their TTL set by `PX` in the same `SET`.
 * `clear()` deletes only this cache's keys (`SCAN MATCH <prefix>cache:*` + `UNLINK`), never the
 * rest of the database.
 *
 * While Redis is unreachable: with `failOpen` (the default) `get` misses and `set`/`delete`/
 * `clear` do nothing; with `failOpen: false` they throw `RedisUnavailableError`. (The engine
 * treats a failing cache as a miss either way; fail-closed matters to direct callers, e.g.
 * `POST /v1/cache/clear` answering 503 instead of pretending the cache was cleared.)
 */
export class RedisCache implements CacheStore {
  readonly ttlSeconds: number;
  readonly #connection: RedisConnection;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #failOpen: boolean;
  readonly #scanCount: number;

  constructor(options: RedisCacheOptions = {}) {
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    ttlMs(this.ttlSeconds, "ttlSeconds");
    const scanCount = options.scanCount ?? 500;
    if (!Number.isInteger(scanCount) || scanCount <= 0) {
      throw new ConfigError(`scanCount must be a positive integer, got ${String(scanCount)}`, {
        field: "scanCount",
      });
    }
    this.#scanCount = scanCount;
    const resolved = resolveConnection(options);
    this.#connection = resolved.connection;
    this.#owned = resolved.owned;
    this.#prefix = `${options.prefix ?? "deeprecall:"}cache:`;
    this.#failOpen = options.failOpen ?? true;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key);
    const text = await this.#guard(
      () => this.#connection.command<string | null>(["GET", this.#prefix + key]),
      null,
    );
    if (text === null || text === undefined) return undefined;
    try {
      return deserialize<T>(text);
    } catch {
      // Not ours or corrupted: a miss, and drop it so the next set starts clean.
      await this.#guard(() => this.#connection.command(["DEL", this.#prefix + key]), 0);
      return undefined;
    }
  }

  async set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    checkKey(key);
    const ttl = ttlMs(ttlSeconds ?? this.ttlSeconds, "ttlSeconds");
    const text = serialize(value);
    const args = ["SET", this.#prefix + key, text];
    if (ttl > 0) args.push("PX", String(ttl));
    await this.#guard(() => this.#connection.command(args), null);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.#guard(() => this.#connection.command(["DEL", this.#prefix + key]), 0);
  }

  /** Deletes every key under this cache's prefix (and nothing else), in batches. */
  async clear(): Promise<void> {
    const match = `${globEscape(this.#prefix)}*`;
    await this.#guard(async () => {
      let cursor = "0";
      do {
        const [next, keys] = await this.#connection.command<[string, string[]]>([
          "SCAN",
          cursor,
          "MATCH",
          match,
          "COUNT",
          String(this.#scanCount),
        ]);
        cursor = String(next);
        if (keys.length > 0) await this.#connection.command(["UNLINK", ...keys]);
      } while (cursor !== "0");
    }, undefined);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#connection.close();
  }

  async #guard<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof RedisUnavailableError && this.#failOpen) return fallback;
      throw error;
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new ConfigError("cache key must be a non-empty string", { field: "key" });
  }
}

function ttlMs(seconds: number, field: string): number {
  if (typeof seconds !== "number" || Number.isNaN(seconds) || seconds < 0) {
    throw new ConfigError(
      `${field} must be a number of seconds >= 0 (0 = never expires), got ${String(seconds)}`,
      {
        field,
      },
    );
  }
  if (seconds === 0 || seconds === Number.POSITIVE_INFINITY) return 0;
  return Math.max(1, Math.round(seconds * 1000));
}

/** Escapes Redis glob metacharacters so a prefix matches only itself. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
