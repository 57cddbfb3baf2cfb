import type { CallbackContext, DeepRecallCallbacks, DeepRecallResult, UsageReport } from "@deeprecall/core";
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
  /** Clock for `since` (tests). Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Fleet-wide usage totals: a `DeepRecallCallbacks` like core's `UsageTrackingCallback`, but every
 * replica adds its queries to one Redis hash (`HINCRBY` / `HINCRBYFLOAT` in a `MULTI`), so
 * `GET /v1/usage` on any replica reports the whole fleet. Register it on the engine
 * (`callbacks: [tracker]`); `engine.usage()` finds it by its `report()` method.
 *
 * `report()` is async (it reads Redis). While Redis is unreachable, increments are kept in
 * memory and written on the next successful flush (fail-open, the default), or the callback
 * throws `RedisUnavailableError` (fail-closed; the engine reports callback errors to `onError`
 * and never fails a run for them). `report()` throws `RedisUnavailableError` (HTTP 503) when it
 * cannot read the totals, whatever the policy: a partial number would be misleading.
 */
export class RedisUsageTracker implements DeepRecallCallbacks {
  readonly #connection: RedisConnection;
  readonly #owned: boolean;
  readonly #key: string;
  readonly #failOpen: boolean;
  readonly #maxPending: number;
  readonly #now: () => Date;
  #pending = new Map<string, number>();
  #pendingQueries = 0;
  #flushing: Promise<void> | null = null;

  constructor(options: RedisUsageTrackerOptions = {}) {
    const resolved = resolveConnection(options);
    this.#connection = resolved.connection;
    this.#owned = resolved.owned;
    this.#key = `${options.prefix ?? "deeprecall:"}usage`;
    this.#failOpen = options.failOpen ?? true;
    this.#maxPending = options.maxPendingQueries ?? 10_000;
    this.#now = options.now ?? (() => new Date());
  }

  async onQueryEnd(_ctx: CallbackContext, result: DeepRecallResult): Promise<void> {
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

    if (!this.#failOpen) {
      await this.#write(delta);
      return;
    }
    if (this.#pendingQueries >= this.#maxPending) return; // dropped; the outage was logged
    for (const [field, value] of delta) this.#pending.set(field, (this.#pending.get(field) ?? 0) + value);
    this.#pendingQueries += 1;
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
    this.#pending = new Map();
    this.#pendingQueries = 0;
    this.#flushing = this.#write(batch).catch((error: unknown) => {
      // Put the batch back in front of anything that arrived meanwhile.
      for (const [field, value] of batch) this.#pending.set(field, (this.#pending.get(field) ?? 0) + value);
      this.#pendingQueries += queries;
      throw error;
    });
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  /** The fleet's totals since the first query (or the last `reset()`). */
  async report(): Promise<UsageReport> {
    if (this.#failOpen) await this.flush().catch(() => {});
    const flat = await this.#connection.command<string[] | Record<string, string>>(["HGETALL", this.#key]);
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

  /** Zeroes the fleet's totals (for every replica) and restarts `since`. */
  async reset(): Promise<void> {
    this.#pending = new Map();
    this.#pendingQueries = 0;
    await this.#connection.command(["DEL", this.#key]);
  }

  async close(): Promise<void> {
    if (this.#failOpen) await this.flush().catch(() => {});
    if (this.#owned) await this.#connection.close();
  }

  async #write(delta: Map<string, number>): Promise<void> {
    await this.#connection.run(async (client) => {
      const multi = client.multi();
      multi.hSetNX(this.#key, "since", this.#now().toISOString());
      for (const [field, value] of delta) {
        if (INTEGRAL.test(field) && Number.isInteger(value)) multi.hIncrBy(this.#key, field, value);
        else multi.hIncrByFloat(this.#key, field, value);
      }
      await multi.exec();
    });
  }
}

function toRecord(reply: string[] | Record<string, string> | null): Record<string, string> {
  if (!reply) return {};
  if (!Array.isArray(reply)) return { ...reply };
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[reply[i]!] = reply[i + 1]!;
  return out;
}
