import type { RecentQuery, UsageReport } from "../engine-api.ts";
import type { DeepRecallResult } from "../types.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

type ModelTotals = UsageReport["byModel"][string];

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

export interface UsageTrackingCallbackOptions {
  /** Clock for `since` (for tests). Default `() => new Date()`. */
  now?: () => Date;
  /** How many recent queries `report().recentQueries` keeps, newest first. Default 50; 0 keeps none. */
  recentLimit?: number;
}

const QUERY_CHARS = 500;

/**
 * The record a usage tracker lists for a finished query: its question (cut to 500 characters),
 * when it started (`now` minus its execution time, ISO 8601), its time in ms, its tokens, its cost
 * in USD (null without pricing) and its `error` (null when it ended normally). Every tracker
 * (this one, the Redis one) builds its records here, so they agree.
 */
export function recentQueryOf(ctx: CallbackContext, result: DeepRecallResult, now: Date): RecentQuery {
  const timeMs = count(result.executionTimeMs);
  return {
    query: (result.query ?? ctx.query ?? "").slice(0, QUERY_CHARS),
    startedAt: new Date(now.getTime() - timeMs).toISOString(),
    timeMs,
    totalTokens: count(result.usage?.totalTokens),
    costUsd: typeof result.usage?.costUsd === "number" ? result.usage.costUsd : null,
    error: result.error ?? null,
  };
}

/**
 * Keeps cumulative usage over every query that reaches `onQueryEnd`: queries (and how many
 * ended with an `error`), tokens, model calls, searches, cost, per-model totals and the average
 * execution time. `report()` is what the server serves at `GET /v1/usage`.
 *
 * Searches are counted from each result's reasoning trace; if the budget status counted more
 * (searches outside a recorded step), the larger number is used.
 */
export class UsageTrackingCallback implements DeepRecallCallbacks {
  readonly #now: () => Date;
  readonly #recentLimit: number;
  #report!: UsageReport;
  #recent: RecentQuery[] = [];
  #totalTimeMs = 0;

  constructor(options: UsageTrackingCallbackOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    const limit = options.recentLimit ?? 50;
    this.#recentLimit = Number.isInteger(limit) && limit > 0 ? limit : 0;
    this.reset();
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): void {
    const r = this.#report;
    if (this.#recentLimit > 0) {
      this.#recent.unshift(recentQueryOf(ctx, result, this.#now()));
      if (this.#recent.length > this.#recentLimit) this.#recent.length = this.#recentLimit;
    }
    r.totalQueries += 1;
    if (result.error) r.failedQueries += 1;
    const usage = result.usage;
    r.inputTokens += count(usage?.inputTokens);
    r.outputTokens += count(usage?.outputTokens);
    r.totalTokens += count(usage?.totalTokens);
    r.llmCalls += count(usage?.calls);
    r.totalCostUsd += count(usage?.costUsd);
    for (const [model, m] of Object.entries(usage?.byModel ?? {})) {
      let into: ModelTotals | undefined = r.byModel[model];
      if (!into) {
        into = { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
        r.byModel[model] = into;
      }
      into.calls += count(m.calls);
      into.inputTokens += count(m.inputTokens);
      into.outputTokens += count(m.outputTokens);
      into.totalTokens += count(m.totalTokens);
      if (typeof m.costUsd === "number") into.costUsd = (into.costUsd ?? 0) + count(m.costUsd);
    }
    const traced = (result.reasoningTrace ?? []).reduce((sum, step) => sum + (step.searches?.length ?? 0), 0);
    r.searchCalls += Math.max(traced, count(result.budgetStatus?.searchCalls));
    this.#totalTimeMs += count(result.executionTimeMs);
    r.averageTimeMs = this.#totalTimeMs / r.totalQueries;
  }

  /** A snapshot of the totals since construction or the last `reset()`. */
  report(): UsageReport {
    const r = this.#report;
    return {
      ...r,
      byModel: Object.fromEntries(Object.entries(r.byModel).map(([model, m]) => [model, { ...m }])),
      recentQueries: this.#recent.map((q) => ({ ...q })),
    };
  }

  /** Zeroes every total and restarts `since`. */
  reset(): void {
    this.#totalTimeMs = 0;
    this.#recent = [];
    this.#report = {
      totalQueries: 0,
      failedQueries: 0,
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
      llmCalls: 0,
      searchCalls: 0,
      totalCostUsd: 0,
      averageTimeMs: 0,
      byModel: {},
      since: this.#now().toISOString(),
    };
  }
}
