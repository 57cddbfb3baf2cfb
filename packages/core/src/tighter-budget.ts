import type { QueryBudget } from "./types.ts";

/**
 * The tighter of two budgets, limit by limit: each limit either sets is kept, and where both set
 * one the smaller wins. Either may be undefined (no limits); the result is undefined only when
 * both are.
 *
 * What an adapter that takes budgets from untrusted callers uses, so that a caller can lower the
 * operator's limits but never raise them (the engine itself lets a query's `budget` replace its
 * defaults, limit by limit, which is right for a library caller and wrong for an HTTP client).
 *
 * @example tighterBudget({ maxTokens: 1000, maxTimeSeconds: 60 }, { maxTokens: 1e9, maxCostUsd: 1 })
 *   // → { maxTokens: 1000, maxTimeSeconds: 60, maxCostUsd: 1 }
 */
export function tighterBudget(
  a: Readonly<QueryBudget> | undefined,
  b: Readonly<QueryBudget> | undefined,
): QueryBudget | undefined {
  if (!a) return b ? { ...b } : undefined;
  const out: QueryBudget = { ...a };
  if (!b) return out;
  for (const key of Object.keys(b) as Array<keyof QueryBudget>) {
    const value = b[key];
    if (value === undefined) continue;
    const current = out[key];
    out[key] = current === undefined ? value : Math.min(current, value);
  }
  return out;
}
