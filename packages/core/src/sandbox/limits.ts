import { ConfigError } from "../errors.ts";
import type { ResolvedLimits } from "./protocol.ts";
import type { SandboxLimits } from "./types.ts";

/** The limits a session gets when neither the pool nor the session sets them (see `SandboxLimits`). */
export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  timeoutMs: 10_000,
  wallTimeoutMs: 120_000,
  memoryBytes: 64 * 1024 * 1024,
  maxOutputChars: 20_000,
  maxQueryChars: 4_000,
  maxFilterChars: 10_000,
  maxPromptChars: 100_000,
  maxBatchSize: 256,
  maxBatchChars: 1_000_000,
  maxFinalChars: 100_000,
});

/** Smallest value each limit accepts. */
const MINIMUMS: Readonly<ResolvedLimits> = {
  timeoutMs: 1,
  wallTimeoutMs: 1,
  memoryBytes: 1024 * 1024,
  maxOutputChars: 1,
  maxQueryChars: 1,
  maxFilterChars: 2,
  maxPromptChars: 1,
  maxBatchSize: 1,
  maxBatchChars: 1,
  maxFinalChars: 1,
};

/**
 * The wasm32 QuickJS build addresses at most 2 GiB, part of which is its own overhead, so a
 * heap limit above this could never be honoured.
 */
const MAX_MEMORY_BYTES = 1024 * 1024 * 1024;

/**
 * `limits` over `base`, each checked. Integers are floored.
 * @throws ConfigError naming `<prefix>.<field>` for a value that is not a finite number at or
 *   above its minimum (or a memory limit above 1 GiB).
 */
export function resolveLimits(base: ResolvedLimits, limits: SandboxLimits, prefix: string): ResolvedLimits {
  const out = { ...base };
  for (const field of Object.keys(MINIMUMS) as Array<keyof ResolvedLimits>) {
    const value = limits[field];
    if (value === undefined) continue;
    const min = MINIMUMS[field];
    const max = field === "memoryBytes" ? MAX_MEMORY_BYTES : Number.MAX_SAFE_INTEGER;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(
        `${prefix}.${field} must be a finite number between ${min} and ${max}, got ${String(value)}`,
        { field: `${prefix}.${field}` },
      );
    }
    out[field] = Math.floor(value);
  }
  return out;
}
