import type { BudgetLimits, BudgetStatus } from "./api-types.ts";

/** One line of the budget meter: `used` of `limit` (units in `unit`), `fraction` = used/limit in 0..1. */
export interface MeterRow {
  key: keyof BudgetLimits;
  label: string;
  used: number;
  limit: number | undefined;
  /** used / limit clamped to 0..1; undefined when no limit is set. */
  fraction: number | undefined;
  /** e.g. "3 / 10", "1.2 s / 60 s", "$0.0012 / $0.05", "1,204 / 20,000". */
  text: string;
  exceeded: boolean;
}

/** The figures a meter shows while a run is live, before any `budget_status` arrived. */
export interface LiveUsage {
  iterations: number;
  searchCalls: number;
  tokens: number;
  /** Seconds since the request started. */
  elapsedSeconds: number;
  costUsd: number | null;
}

const ROWS: Array<{ key: keyof BudgetLimits; label: string }> = [
  { key: "max_iterations", label: "Iterations" },
  { key: "max_search_calls", label: "Searches" },
  { key: "max_tokens", label: "Tokens" },
  { key: "max_time_seconds", label: "Time" },
  { key: "max_cost_usd", label: "Cost" },
];

/** used/limit clamped to 0..1; undefined without a positive limit. */
export function fraction(used: number, limit: number | undefined): number | undefined {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return undefined;
  if (!Number.isFinite(used) || used <= 0) return 0;
  return Math.min(1, used / limit);
}

/**
 * The meter's rows. Limits are the server's (`status.limits`: what the run really enforced,
 * server defaults included), else what the request asked for, else `defaults` (the server's
 * limits an earlier run reported, for what the request leaves unset). Used figures are the larger of
 * the status and the live counts, since the status only comes with completed turns while
 * searches and the clock move on in between.
 */
export function meterRows(
  status: BudgetStatus | null,
  requested: BudgetLimits,
  live: LiveUsage | undefined,
  defaults: BudgetLimits = {},
): MeterRow[] {
  const limits: BudgetLimits = { ...defaults, ...requested, ...(status?.limits ?? {}) };
  const used: Record<keyof BudgetLimits, number> = {
    max_iterations: Math.max(status?.iterations ?? 0, live?.iterations ?? 0),
    max_search_calls: Math.max(status?.search_calls ?? 0, live?.searchCalls ?? 0),
    max_tokens: Math.max(status?.tokens ?? 0, live?.tokens ?? 0),
    max_time_seconds: Math.max(status?.elapsed_seconds ?? 0, live?.elapsedSeconds ?? 0),
    max_cost_usd: Math.max(status?.cost_usd ?? 0, live?.costUsd ?? 0),
  };
  const costKnown = status?.cost_usd != null || live?.costUsd != null;
  return ROWS.flatMap(({ key, label }) => {
    const limit = limits[key];
    if (key === "max_cost_usd" && !costKnown && limit === undefined) return [];
    // The engine's one last call for the answer after the iteration limit is a step, not an
    // iteration: the count stops at the limit rather than showing "2 / 1".
    const value =
      key === "max_iterations" && limit !== undefined && limit > 0 ? Math.min(used[key], limit) : used[key];
    return [
      {
        key,
        label,
        used: value,
        limit,
        fraction: fraction(value, limit),
        text:
          limit === undefined
            ? formatFigure(key, value)
            : `${formatFigure(key, value)} / ${formatLimit(key, limit)}`,
        exceeded: status?.exceeded_limit === key || (limit !== undefined && limit > 0 && value >= limit),
      },
    ];
  });
}

/**
 * Overall utilization 0..1: the server's figure when it sent one, else the fullest row; null
 * when no limit is set.
 */
export function utilization(status: BudgetStatus | null, rows: MeterRow[]): number | null {
  const fractions = rows.map((r) => r.fraction).filter((f): f is number => f !== undefined);
  const mine = fractions.length > 0 ? Math.max(...fractions) : null;
  const theirs =
    typeof status?.utilization === "number" ? Math.min(1, Math.max(0, status.utilization)) : null;
  if (theirs === null) return mine;
  if (mine === null) return theirs;
  return Math.max(mine, theirs);
}

/** A figure in its unit: seconds with one decimal, USD with enough digits to show cents of cents. */
export function formatFigure(key: keyof BudgetLimits, value: number): string {
  switch (key) {
    case "max_time_seconds":
      return `${value < 10 ? value.toFixed(1) : Math.round(value)} s`;
    case "max_cost_usd":
      return formatUsd(value);
    default:
      return Math.round(value).toLocaleString("en-US");
  }
}

/** A limit as it was set: whole seconds without a decimal ("1 s", "300 s"), else as `formatFigure`. */
export function formatLimit(key: keyof BudgetLimits, value: number): string {
  if (key === "max_time_seconds" && Number.isInteger(value)) return `${value} s`;
  return formatFigure(key, value);
}

/** "$0.0012", "$0.05", "$12.30". */
export function formatUsd(value: number): string {
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.01) return `$${value.toPrecision(2)}`;
  return `$${value.toFixed(2)}`;
}

const LIMIT_WORDS: Record<keyof BudgetLimits, string> = {
  max_iterations: "iteration limit",
  max_search_calls: "search limit",
  max_tokens: "token limit",
  max_time_seconds: "time limit",
  max_cost_usd: "cost limit",
};

/** The budget field a limit name stands for: the API's `max_time_seconds` or the engine's `maxTimeSeconds`. */
export function limitKey(name: string | null | undefined): keyof BudgetLimits | null {
  if (!name) return null;
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  if (snake in LIMIT_WORDS) return snake as keyof BudgetLimits;
  // The engine's maxTime / maxCost without their unit.
  const found = (Object.keys(LIMIT_WORDS) as Array<keyof BudgetLimits>).find((k) => k.startsWith(snake));
  return found ?? null;
}

/**
 * A limit in the words people read: "the iteration limit (1)", "the time limit (1 s)" — never
 * `max_iterations` or `maxIterations`. "a budget limit" when the name is unknown.
 */
export function describeLimit(name: string | null | undefined, limits: BudgetLimits = {}): string {
  // Not a budget of the query: the engine's per-call timeout, when the model stopped answering.
  if (name === "call_timeout_ms" || name === "callTimeoutMs")
    return "the per-call time limit (the model did not answer in time)";
  const key = limitKey(name);
  if (!key) return "a budget limit";
  const value = limits[key];
  return value === undefined
    ? `the ${LIMIT_WORDS[key]}`
    : `the ${LIMIT_WORDS[key]} (${formatLimit(key, value)})`;
}

/** The limit that ended a run, as far as its budget status or its error (`Budget exceeded: <limit> …`) tell. */
export function endingLimit(status: BudgetStatus | null, error: string | null | undefined): string | null {
  if (status?.exceeded && status.exceeded_limit) return status.exceeded_limit;
  const m = error ? /^Budget exceeded: (\w+)/.exec(error) : null;
  if (m) return m[1]!;
  return status?.exceeded ? "budget" : null;
}

/**
 * A recent query's outcome for the Usage screen: a run a budget limit ended still answered
 * (best effort, as the Ask screen shows), so it reads "ended by a limit", not as a failure.
 */
export function queryOutcome(error: string | null): { kind: "ok" | "limit" | "failed"; text: string } {
  if (!error) return { kind: "ok", text: "ok" };
  if (error.startsWith("Budget exceeded")) {
    return { kind: "limit", text: `ended by ${describeLimit(endingLimit(null, error))}` };
  }
  return { kind: "failed", text: error };
}

/**
 * The Usage header's note on the queries that did not end plainly. The server's
 * `failed_queries` counts every run with an error, and a run a budget limit ended has one
 * (`Budget exceeded: …`) though it answered: only `recent_queries` (the last 50) tells the two
 * apart, so older ones are counted as "failed or ended by a limit" rather than guessed.
 */
export function unfinishedNote(u: {
  failed_queries: number;
  recent_queries?: Array<{ error: string | null }>;
}): string | undefined {
  if (u.failed_queries <= 0) return undefined;
  const kinds = (u.recent_queries ?? []).map((r) => queryOutcome(r.error).kind);
  const limited = kinds.filter((k) => k === "limit").length;
  const failed = kinds.filter((k) => k === "failed").length;
  const older = Math.max(0, u.failed_queries - limited - failed);
  const parts = [
    limited > 0 ? `${limited} ended by a limit` : null,
    failed > 0 ? `${failed} failed` : null,
    older > 0 ? `${older}${limited + failed > 0 ? " more" : ""} failed or ended by a limit` : null,
  ].filter((p) => p !== null);
  return parts.join(" · ");
}
