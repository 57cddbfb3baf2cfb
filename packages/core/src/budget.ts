import { BudgetExceededError } from "./errors.ts";
import type { BudgetStatus, QueryBudget } from "./types.ts";

const WARN_AT = 0.8;

/**
 * Limits that, once spent, leave no room for any further model call or search: after one of
 * these the run ends with an answer built without the model.
 */
/**
 * The per-query time limit (seconds) that `deeprecall serve`, the CLI and `createApp` apply when
 * nothing else sets `maxTimeSeconds`. The engine itself has no default: a library caller sets its
 * own.
 */
export const DEFAULT_MAX_TIME_SECONDS = 300;

export const HARD_LIMITS: ReadonlySet<string> = new Set(["maxTokens", "maxCostUsd", "maxTimeSeconds"]);

/**
 * Tracks one run's spending against its `QueryBudget`. The engine records every model call
 * and search here and asks `check()` after each; the first limit reached wins and stays.
 */
export class BudgetTracker {
  readonly limits: QueryBudget;
  iterations = 0;
  searchCalls = 0;
  tokens = 0;
  costUsd: number | null = null;
  exceededLimit: string | null = null;
  private readonly startedAt: number;
  private readonly warned = new Set<string>();

  constructor(limits: QueryBudget = {}, now = performance.now()) {
    this.limits = limits;
    this.startedAt = now;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  get exceeded(): boolean {
    return this.exceededLimit !== null;
  }

  addTokens(tokens: number, costUsd?: number): void {
    this.tokens += tokens;
    if (costUsd !== undefined) this.costUsd = (this.costUsd ?? 0) + costUsd;
  }

  /** Whether one more search is allowed; counts it when it is. */
  tryStartSearch(): boolean {
    if (this.spentHardLimit() !== null) return false;
    if (this.limits.maxSearchCalls !== undefined && this.searchCalls >= this.limits.maxSearchCalls) {
      this.markExceeded("maxSearchCalls");
      return false;
    }
    this.searchCalls++;
    return true;
  }

  /**
   * The hard limit (maxTokens, maxCostUsd, maxTimeSeconds) that is spent right now, recording it
   * as the run's exceeded limit when it is the first; null while all of them have room left.
   */
  spentHardLimit(): string | null {
    const { maxTokens, maxCostUsd, maxTimeSeconds } = this.limits;
    let hit: string | null = null;
    if (maxTokens !== undefined && this.tokens >= maxTokens) hit = "maxTokens";
    else if (maxCostUsd !== undefined && (this.costUsd ?? 0) >= maxCostUsd) hit = "maxCostUsd";
    else if (maxTimeSeconds !== undefined && this.elapsedSeconds >= maxTimeSeconds) hit = "maxTimeSeconds";
    if (hit) this.markExceeded(hit);
    return hit;
  }

  /**
   * Admission of one model call, before it goes out. Throws a {@link BudgetExceededError} naming
   * the limit when tokens, cost or time are spent (calls already in flight may still finish and
   * overshoot; nothing new starts). `what` names the call in the error message.
   */
  admitModelCall(what = "model call"): void {
    const hit = this.spentHardLimit();
    if (hit) throw new BudgetExceededError(hit, refusalMessage(hit, what, this.limits));
  }

  /**
   * Admission of one search, before it goes out: refused (BudgetExceededError) when a hard limit
   * is spent or `maxSearchCalls` searches already ran; counts the search when admitted.
   */
  admitSearch(): void {
    const hit = this.spentHardLimit();
    if (hit) throw new BudgetExceededError(hit, refusalMessage(hit, "searchDb", this.limits));
    if (!this.tryStartSearch()) {
      throw new BudgetExceededError(
        "maxSearchCalls",
        `Search budget exhausted (maxSearchCalls = ${this.limits.maxSearchCalls}). Answer now with FINAL(...) from what you have.`,
      );
    }
  }

  markExceeded(limit: string): void {
    if (this.exceededLimit === null) this.exceededLimit = limit;
  }

  /** Checks tokens, cost and time; returns the run's exceeded limit (the first recorded) or null. */
  check(): string | null {
    this.spentHardLimit();
    return this.exceededLimit;
  }

  /** Limits past 80% that have not been reported yet, as readable messages. */
  newWarnings(): string[] {
    const out: string[] = [];
    for (const [limit, used, max] of this.usagePairs()) {
      if (max > 0 && used / max >= WARN_AT && used < max && !this.warned.has(limit)) {
        this.warned.add(limit);
        out.push(`${limit}: ${Math.round((used / max) * 100)}% used (${round(used)} of ${max})`);
      }
    }
    return out;
  }

  status(): BudgetStatus {
    const pairs = this.usagePairs();
    const utilization =
      pairs.length === 0
        ? null
        : Math.min(1, Math.max(...pairs.map(([, used, max]) => (max > 0 ? used / max : 1))));
    return {
      iterations: this.iterations,
      searchCalls: this.searchCalls,
      tokens: this.tokens,
      elapsedSeconds: round(this.elapsedSeconds),
      costUsd: this.costUsd === null ? null : round(this.costUsd, 6),
      utilization: utilization === null ? null : round(utilization),
      exceeded: this.exceeded,
      exceededLimit: this.exceededLimit,
      limits: { ...this.limits },
    };
  }

  private usagePairs(): Array<[string, number, number]> {
    const l = this.limits;
    const pairs: Array<[string, number, number]> = [];
    if (l.maxIterations !== undefined) pairs.push(["maxIterations", this.iterations, l.maxIterations]);
    if (l.maxSearchCalls !== undefined) pairs.push(["maxSearchCalls", this.searchCalls, l.maxSearchCalls]);
    if (l.maxTokens !== undefined) pairs.push(["maxTokens", this.tokens, l.maxTokens]);
    if (l.maxTimeSeconds !== undefined) pairs.push(["maxTimeSeconds", this.elapsedSeconds, l.maxTimeSeconds]);
    if (l.maxCostUsd !== undefined) pairs.push(["maxCostUsd", this.costUsd ?? 0, l.maxCostUsd]);
    return pairs;
  }
}

function refusalMessage(limit: string, what: string, limits: QueryBudget): string {
  const value = limits[limit as keyof QueryBudget];
  return `Budget exceeded: ${limit}${value !== undefined ? ` (limit ${value})` : ""}; ${what} refused. No more model calls or searches are allowed in this run.`;
}

function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
