import { ConfigError } from "../errors.ts";

/** Milliseconds since the epoch; injectable so tests can move time without waiting. */
export type Clock = () => number;

/** Checks a TTL in seconds. 0 means "never expires". Returns milliseconds (0 = no expiry). */
export function ttlToMs(ttlSeconds: unknown, field: string): number {
  if (typeof ttlSeconds !== "number" || Number.isNaN(ttlSeconds) || ttlSeconds < 0) {
    throw new ConfigError(
      `${field} must be a number of seconds >= 0 (0 = never expires), got ${String(ttlSeconds)}`,
      {
        field,
      },
    );
  }
  if (ttlSeconds === 0 || ttlSeconds === Number.POSITIVE_INFINITY) return 0;
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new ConfigError("cache key must be a non-empty string", { field: "key" });
  }
}
