import { BudgetExceededError } from "./errors.ts";
import type { BudgetStatus, QueryBudget } from "./types.ts";

const WARN_AT = 0.8;

/**
 * The per-query time limit (seconds) that `deeprecall serve`, the CLI and `createApp` apply when
 * nothing else sets `maxTimeSeconds`. The engine itself has no default: a library caller sets its
 * own.
 */
export const DEFAULT_MAX_TIME_SECONDS = 300;

/**
 * Limits that, once spent, leave no room for any further model call or search: after one of
 * these the run ends with an answer built without the model.
 */
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
  /** Model calls admitted by {@link startModelCall} that have not settled yet. */
  private inFlight = 0;
  /** Tokens and USD those calls are expected to spend (what each was admitted on). */
  private reservedTokens = 0;
  private reservedCostUsd = 0;
  /** Calls whose spending was counted ({@link addTokens}): the divisor of the average per call. */
  private countedCalls = 0;

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

  /** Counts one model call's (or cut attempt's) spending: tokens and, when priced, USD. */
  addTokens(tokens: number, costUsd?: number): void {
    this.tokens += tokens;
    this.countedCalls++;
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
   * overshoot; nothing new starts). `what` names the call in the error message. With
   * `promptTokens` (an estimate of the prompt the call sends, e.g. model code's `llmQuery`
   * argument) and `promptCostUsd` (its price, when the model's is known), a prompt larger than
   * what is left of `maxTokens`, or costing more than what is left of `maxCostUsd`, is refused too.
   */
  admitModelCall(what = "model call", promptTokens?: number, promptCostUsd?: number): void {
    const hit = this.spentHardLimit();
    if (hit) throw new BudgetExceededError(hit, refusalMessage(hit, what, this.limits));
    // A prompt that alone is more than what is left would pass the limit before a word of
    // answer; refused without marking the budget spent, so a shorter prompt can still go.
    const max = this.limits.maxTokens;
    if (promptTokens !== undefined && max !== undefined && this.tokens + promptTokens > max) {
      throw new BudgetExceededError(
        "maxTokens",
        `Budget too small for this prompt: ${what} refused, its prompt (~${promptTokens} tokens) is more than the ${max - this.tokens} tokens left of maxTokens (limit ${max}). Send a shorter prompt, or answer with FINAL(...) from what you have.`,
      );
    }
    const maxCost = this.limits.maxCostUsd;
    const spent = this.costUsd ?? 0;
    if (promptCostUsd !== undefined && maxCost !== undefined && spent + promptCostUsd > maxCost) {
      throw new BudgetExceededError(
        "maxCostUsd",
        `Budget too small for this prompt: ${what} refused, its prompt (~$${round(promptCostUsd, 6)}) costs more than the $${round(maxCost - spent, 6)} left of maxCostUsd (limit ${maxCost}). Send a shorter prompt, or answer with FINAL(...) from what you have.`,
      );
    }
  }

  /**
   * Admission of one model call that goes out now, as {@link admitModelCall}, weighing also the
   * calls already in flight: while others are in flight, the call is refused when they and it
   * would pass `maxTokens` or `maxCostUsd`, each expected to spend this run's average per call
   * so far, or at least its prompt (`promptTokens`, an estimate, and what they cost at the
   * model's price, `promptCostUsd`). So concurrent calls
   * (llmQueryBatched, child loops) stop going out as the budget runs out instead of all being
   * admitted while it still has room; the overshoot is what the calls in flight spend beyond
   * that. Such a refusal does not mark the budget spent (the calls in flight may fail and spend
   * nothing). A call with nothing else in flight goes out while any room is left, as before.
   *
   * @returns the call's settle function: call it once the call's usage is counted, or it failed.
   * @throws BudgetExceededError naming `maxTokens`, `maxCostUsd` or `maxTimeSeconds`.
   */
  startModelCall(what = "model call", promptTokens = 0, promptCostUsd = 0): () => void {
    this.admitModelCall(what);
    const calls = this.countedCalls;
    const expected = Math.max(calls > 0 ? this.tokens / calls : 0, promptTokens);
    const expectedCost = Math.max(calls > 0 ? (this.costUsd ?? 0) / calls : 0, promptCostUsd);
    const crowded = this.inFlight > 0 ? this.inFlightLimit(expected, expectedCost) : null;
    if (crowded) {
      throw new BudgetExceededError(
        crowded,
        `Budget nearly spent: ${what} refused, the ${this.inFlight} call(s) in flight are expected to use up the rest of ${crowded} (limit ${this.limits[crowded as keyof QueryBudget]}). Answer with FINAL(...) from what you have, or try again once they return.`,
      );
    }
    this.inFlight++;
    this.reservedTokens += expected;
    this.reservedCostUsd += expectedCost;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      this.reservedTokens -= expected;
      this.reservedCostUsd -= expectedCost;
    };
  }

  /**
   * The limit one more call expected to spend `expectedTokens` (and `expectedCostUsd`) would
   * pass, on top of what was spent and what the calls in flight are expected to spend; null when
   * there is room.
   */
  private inFlightLimit(expectedTokens: number, expectedCostUsd: number): string | null {
    const { maxTokens, maxCostUsd } = this.limits;
    if (maxTokens !== undefined && this.tokens + this.reservedTokens + expectedTokens > maxTokens) {
      return "maxTokens";
    }
    if (
      maxCostUsd !== undefined &&
      (this.costUsd ?? 0) + this.reservedCostUsd + expectedCostUsd > maxCostUsd
    ) {
      return "maxCostUsd";
    }
    return null;
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
