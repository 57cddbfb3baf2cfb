import {
  type CallbackContext,
  type DeepRecallCallbacks,
  type DeepRecallResult,
  type RecentQuery,
  recentQueryOf,
  type UsageReport,
} from "@deeprecall/core";
import type { RedisConnection } from "./connection.ts";
import { type RedisComponentOptions, resolveConnection } from "./shared.ts";

/** Field names in the usage hash. Per-model fields are `m:<field>:<model id>`. */
const INTEGRAL =
  /^(totalQueries|failedQueries|inputTokens|outputTokens|totalTokens|llmCalls|searchCalls|m:(calls|inputTokens|outputTokens|totalTokens):.*)$/s;
const MODEL_FIELDS = ["calls", "inputTokens", "outputTokens", "totalTokens", "costUsd"] as const;
type ModelField = (typeof MODEL_FIELDS)[number];

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

export interface RedisUsageTrackerOptions extends RedisComponentOptions {
  /**
   * Most increments kept in memory while Redis is unreachable (fail-open), flushed when it is
   * back; queries beyond that are dropped from the totals (with a warning). Default 10000.
   */
  maxPendingQueries?: number;
  /** Clock for `since` and each recent query's `startedAt` (tests). Default `() => new Date()`. */
  now?: () => Date;
  /**
   * How many recent queries the fleet's list keeps (`report().recentQueries`, newest first), as
   * core's `UsageTrackingCallbackOptions.recentLimit`. Default 50; 0 (or anything that is not a
   * positive integer) keeps none: this replica then neither writes records nor reads the list.
   * Each replica trims the shared list to its own limit when it writes, so give a fleet one value.
   */
  recentLimit?: number;
}

/**
 * Fleet-wide usage totals: a `DeepRecallCallbacks` like core's `UsageTrackingCallback`, but every
 * replica adds its queries to one Redis hash (`HINCRBY` / `HINCRBYFLOAT` in a `MULTI`), so
 * `GET /v1/usage` on any replica reports the whole fleet. Register it on the engine
 * (`callbacks: [tracker]`); `engine.usage()` finds it by its `report()` method.
 *
 * The most recent queries (`report().recentQueries`) are JSON records in a Redis list next to the
 * hash (`<prefix>usage:recent`): each query `LPUSH`es its record and `LTRIM`s the list to
 * `recentLimit` in the same `MULTI` as its increments, so the list is newest first in the order
 * the queries reached Redis, fleet-wide.
 *
 * `report()` is async (it reads Redis). While Redis is unreachable, increments are kept in
 * memory (with their recent-query records, at most `recentLimit` of those) and written on the
 * next successful flush (fail-open, the default), or the callback
 * throws `RedisUnavailableError` (fail-closed; the engine reports callback errors to `onError`
 * and never fails a run for them). `report()` throws `RedisUnavailableError` (HTTP 503) when it
 * cannot read the totals, whatever the policy: a partial number would be misleading.
 */
export class RedisUsageTracker implements DeepRecallCallbacks {
  readonly #connection: RedisConnection;
  readonly #owned: boolean;
  readonly #key: string;
  readonly #recentKey: string;
  readonly #recentLimit: number;
  readonly #failOpen: boolean;
  readonly #maxPending: number;
  readonly #now: () => Date;
  #pending = new Map<string, number>();
  #pendingQueries = 0;
  /** JSON records of the pending queries, oldest first; at most `#recentLimit` (LTRIM would drop more). */
  #pendingRecent: string[] = [];
  #flushing: Promise<void> | null = null;

  constructor(options: RedisUsageTrackerOptions = {}) {
    const resolved = resolveConnection(options);
    this.#connection = resolved.connection;
    this.#owned = resolved.owned;
    this.#key = `${options.prefix ?? "deeprecall:"}usage`;
    this.#failOpen = options.failOpen ?? true;
    this.#maxPending = options.maxPendingQueries ?? 10_000;
    this.#now = options.now ?? (() => new Date());
    this.#recentKey = `${this.#key}:recent`;
    const limit = options.recentLimit ?? 50;
    this.#recentLimit = Number.isInteger(limit) && limit > 0 ? limit : 0;
  }

  async onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): Promise<void> {
    const delta = new Map<string, number>();
    const add = (field: string, value: number) => {
      if (value !== 0) delta.set(field, (delta.get(field) ?? 0) + value);
    };
    add("totalQueries", 1);
    add("failedQueries", result.error ? 1 : 0);
    const usage = result.usage;
    add("inputTokens", count(usage?.inputTokens));
    add("outputTokens", count(usage?.outputTokens));
    add("totalTokens", count(usage?.totalTokens));
    add("llmCalls", count(usage?.calls));
    add("totalCostUsd", count(usage?.costUsd));
    for (const [model, m] of Object.entries(usage?.byModel ?? {})) {
      // Touch `calls` even when 0 so the model shows up in the report, as in core's tracker.
      delta.set(`m:calls:${model}`, (delta.get(`m:calls:${model}`) ?? 0) + count(m.calls));
      add(`m:inputTokens:${model}`, count(m.inputTokens));
      add(`m:outputTokens:${model}`, count(m.outputTokens));
      add(`m:totalTokens:${model}`, count(m.totalTokens));
      if (typeof m.costUsd === "number") {
        delta.set(`m:costUsd:${model}`, (delta.get(`m:costUsd:${model}`) ?? 0) + count(m.costUsd));
      }
    }
    const traced = (result.reasoningTrace ?? []).reduce((sum, step) => sum + (step.searches?.length ?? 0), 0);
    add("searchCalls", Math.max(traced, count(result.budgetStatus?.searchCalls)));
    add("totalTimeMs", count(result.executionTimeMs));
    const record = this.#recentLimit > 0 ? this.#record(ctx, result) : undefined;

    if (!this.#failOpen) {
      await this.#write(delta, record ? [record] : []);
      return;
    }
    // A query dropped from the totals is dropped from the list too, so the two stay consistent.
    if (this.#pendingQueries >= this.#maxPending) return; // dropped; the outage was logged
    for (const [field, value] of delta) this.#pending.set(field, (this.#pending.get(field) ?? 0) + value);
    this.#pendingQueries += 1;
    if (record) this.#pendingRecent = keepNewest([...this.#pendingRecent, record], this.#recentLimit);
    await this.flush().catch(() => {});
  }

  /**
   * Writes increments kept in memory during an outage. Resolves when they are in Redis; throws
   * `RedisUnavailableError` (keeping them) when Redis is still away.
   */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => {});
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    const queries = this.#pendingQueries;
    const records = this.#pendingRecent;
    this.#pending = new Map();
    this.#pendingQueries = 0;
    this.#pendingRecent = [];
    this.#flushing = this.#write(batch, records).catch((error: unknown) => {
      // Put the batch back in front of anything that arrived meanwhile.
      for (const [field, value] of batch) this.#pending.set(field, (this.#pending.get(field) ?? 0) + value);
      this.#pendingQueries += queries;
      this.#pendingRecent = keepNewest([...records, ...this.#pendingRecent], this.#recentLimit);
      throw error;
    });
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  /**
   * The fleet's totals since the first query (or the last `reset()`), with the fleet's last
   * `recentLimit` queries, newest first (`[]` when `recentLimit` is 0). List entries that are
   * not JSON records of `RecentQuery`'s shape are left out.
   */
  async report(): Promise<UsageReport> {
    if (this.#failOpen) await this.flush().catch(() => {});
    // Two commands rather than a MULTI so both keep `commandTimeoutMs` (node-redis has no timeout
    // for `exec`). Sent back to back, the list can at most show a query the totals just missed.
    const [flat, recent] = await Promise.all([
      this.#connection.command<string[] | Record<string, string>>(["HGETALL", this.#key]),
      this.#recentLimit > 0
        ? this.#connection.command<unknown>(["LRANGE", this.#recentKey, "0", String(this.#recentLimit - 1)])
        : Promise.resolve([]),
    ]);
    const fields = toRecord(flat);
    const num = (name: string) => {
      const v = Number(fields[name] ?? 0);
      return Number.isFinite(v) ? v : 0;
    };
    const report: UsageReport = {
      totalQueries: num("totalQueries"),
      failedQueries: num("failedQueries"),
      inputTokens: num("inputTokens"),
      outputTokens: num("outputTokens"),
      totalTokens: num("totalTokens"),
      llmCalls: num("llmCalls"),
      searchCalls: num("searchCalls"),
      totalCostUsd: num("totalCostUsd"),
      averageTimeMs: 0,
      byModel: {},
      since: fields.since ?? this.#now().toISOString(),
      recentQueries: (Array.isArray(recent) ? recent : []).flatMap((text: unknown) => {
        const parsed = parseRecent(text);
        return parsed ? [parsed] : [];
      }),
    };
    if (report.totalQueries > 0) report.averageTimeMs = num("totalTimeMs") / report.totalQueries;
    for (const name of Object.keys(fields)) {
      if (!name.startsWith("m:")) continue;
      const sep = name.indexOf(":", 2);
      if (sep < 0) continue;
      const field = name.slice(2, sep) as ModelField;
      if (!MODEL_FIELDS.includes(field)) continue;
      const model = name.slice(sep + 1);
      let into = report.byModel[model];
      if (!into) {
        into = { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
        report.byModel[model] = into;
      }
      into[field] = num(name);
    }
    return report;
  }

  /** Zeroes the fleet's totals and empties its recent-query list (every replica's); restarts `since`. */
  async reset(): Promise<void> {
    this.#pending = new Map();
    this.#pendingQueries = 0;
    this.#pendingRecent = [];
    await this.#connection.command(["DEL", this.#key, this.#recentKey]);
  }

  async close(): Promise<void> {
    if (this.#failOpen) await this.flush().catch(() => {});
    if (this.#owned) await this.#connection.close();
  }

  /** The JSON record core's tracker would list for this query (core builds it: one set of rules). */
  #record(ctx: CallbackContext, result: DeepRecallResult): string | undefined {
    return JSON.stringify(recentQueryOf(ctx, result, this.#now()));
  }

  /** Adds `delta` to the hash and pushes `records` (oldest first) onto the list, in one `MULTI`. */
  async #write(delta: Map<string, number>, records: string[]): Promise<void> {
    await this.#connection.run(async (client) => {
      const multi = client.multi();
      multi.hSetNX(this.#key, "since", this.#now().toISOString());
      for (const [field, value] of delta) {
        if (INTEGRAL.test(field) && Number.isInteger(value)) multi.hIncrBy(this.#key, field, value);
        else multi.hIncrByFloat(this.#key, field, value);
      }
      if (records.length > 0) {
        // LPUSH puts each element at the head in turn, so the last (newest) ends up first.
        multi.lPush(this.#recentKey, records);
        multi.lTrim(this.#recentKey, 0, this.#recentLimit - 1);
      }
      await multi.exec();
    });
  }
}

/** The last `limit` items of `items` (oldest first). */
function keepNewest(items: string[], limit: number): string[] {
  return items.length > limit ? items.slice(items.length - limit) : items;
}

/**
 * A list entry as a `RecentQuery`, or null when it is not JSON of that shape (e.g. written by
 * something else under the same key): one bad entry must not break `GET /v1/usage`.
 */
function parseRecent(text: unknown): RecentQuery | null {
  if (typeof text !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
  if (
    typeof v.query !== "string" ||
    typeof v.startedAt !== "string" ||
    Number.isNaN(Date.parse(v.startedAt)) ||
    !finite(v.timeMs) ||
    !finite(v.totalTokens) ||
    !(v.costUsd === null || finite(v.costUsd)) ||
    !(v.error === null || typeof v.error === "string")
  ) {
    return null;
  }
  // Only the known fields: nothing else stored under the key reaches the API.
  return {
    query: v.query,
    startedAt: v.startedAt,
    timeMs: v.timeMs,
    totalTokens: v.totalTokens,
    costUsd: v.costUsd,
    error: v.error,
  };
}

function toRecord(reply: string[] | Record<string, string> | null): Record<string, string> {
  if (!reply) return {};
  if (!Array.isArray(reply)) return { ...reply };
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[reply[i]!] = reply[i + 1]!;
  return out;
}
