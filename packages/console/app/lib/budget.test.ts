import { describe, expect, it } from "vitest";
import type { BudgetStatus } from "./api-types.ts";
import {
  describeLimit,
  endingLimit,
  formatFigure,
  formatUsd,
  fraction,
  limitKey,
  meterRows,
  queryOutcome,
  unfinishedNote,
  utilization,
} from "./budget.ts";

const status = (over: Partial<BudgetStatus> = {}): BudgetStatus => ({
  iterations: 2,
  search_calls: 3,
  tokens: 1500,
  elapsed_seconds: 12.5,
  cost_usd: null,
  utilization: 0.4,
  exceeded: false,
  exceeded_limit: null,
  limits: { max_iterations: 5, max_time_seconds: 300 },
  ...over,
});

describe("fraction", () => {
  it("is used/limit clamped to 0..1, undefined without a positive limit", () => {
    expect(fraction(2, 5)).toBe(0.4);
    expect(fraction(7, 5)).toBe(1);
    expect(fraction(-1, 5)).toBe(0);
    expect(fraction(3, undefined)).toBeUndefined();
    expect(fraction(3, 0)).toBeUndefined();
    expect(fraction(Number.NaN, 5)).toBe(0);
  });
});

describe("meterRows", () => {
  it("shows the server's known limits before the run's first status, the request's winning", () => {
    const rows = meterRows(null, { max_iterations: 3 }, undefined, {
      max_iterations: 10,
      max_time_seconds: 300,
    });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.max_iterations?.limit).toBe(3);
    expect(byKey.max_time_seconds?.text).toBe("0.0 s / 300 s");
  });

  it("shows a bar for each limit and plain figures for the rest; cost only when known or limited", () => {
    const rows = meterRows(status(), {}, undefined);
    expect(rows.map((r) => r.key)).toEqual([
      "max_iterations",
      "max_search_calls",
      "max_tokens",
      "max_time_seconds",
    ]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.max_iterations).toMatchObject({
      used: 2,
      limit: 5,
      fraction: 0.4,
      text: "2 / 5",
      exceeded: false,
    });
    expect(byKey.max_search_calls).toMatchObject({
      used: 3,
      limit: undefined,
      fraction: undefined,
      text: "3",
    });
    expect(byKey.max_tokens!.text).toBe("1,500");
    expect(byKey.max_time_seconds!.text).toBe("13 s / 300 s");
  });

  it("uses the requested limits until the server's arrive, and the live counts between statuses", () => {
    const rows = meterRows(
      null,
      { max_search_calls: 4, max_cost_usd: 0.05 },
      { iterations: 1, searchCalls: 4, tokens: 0, elapsedSeconds: 3.25, costUsd: null },
    );
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.max_search_calls).toMatchObject({ used: 4, limit: 4, fraction: 1, exceeded: true });
    expect(byKey.max_cost_usd).toMatchObject({ used: 0, limit: 0.05, text: "$0 / $0.05" });
    expect(byKey.max_time_seconds!.text).toBe("3.3 s");
    // The server's limits win over the request's (they are what the run enforces).
    const server = meterRows(
      status({ limits: { max_search_calls: 10 } }),
      { max_search_calls: 4 },
      undefined,
    );
    expect(server.find((r) => r.key === "max_search_calls")!.limit).toBe(10);
  });

  it("marks the limit the server says was exceeded", () => {
    const rows = meterRows(
      status({ exceeded: true, exceeded_limit: "max_tokens", limits: { max_tokens: 2000 } }),
      {},
      undefined,
    );
    expect(rows.find((r) => r.key === "max_tokens")!.exceeded).toBe(true);
    expect(rows.find((r) => r.key === "max_iterations")!.exceeded).toBe(false);
  });
});

describe("utilization", () => {
  it("is the fullest of the server's figure and the rows, null without limits", () => {
    const s = status({ utilization: 0.4 });
    expect(utilization(s, meterRows(s, {}, undefined))).toBe(0.4);
    const live = meterRows(
      s,
      {},
      { iterations: 4, searchCalls: 0, tokens: 0, elapsedSeconds: 0, costUsd: null },
    );
    expect(utilization(s, live)).toBe(0.8);
    expect(utilization(status({ utilization: 1.7 }), [])).toBe(1);
    const none = status({ utilization: null, limits: {} });
    expect(utilization(none, meterRows(none, {}, undefined))).toBeNull();
  });
});

describe("formatting", () => {
  it("formats each figure in its unit", () => {
    expect(formatFigure("max_time_seconds", 4.25)).toBe("4.3 s");
    expect(formatFigure("max_time_seconds", 61.6)).toBe("62 s");
    expect(formatFigure("max_tokens", 123456.7)).toBe("123,457");
    expect(formatUsd(0)).toBe("$0");
    expect(formatUsd(0.0012345)).toBe("$0.0012");
    expect(formatUsd(12.3)).toBe("$12.30");
  });
});

describe("limits in words", () => {
  it("names a limit as people read it, whichever spelling the server used", () => {
    expect(limitKey("max_iterations")).toBe("max_iterations");
    expect(limitKey("maxIterations")).toBe("max_iterations");
    expect(limitKey("maxTime")).toBe("max_time_seconds");
    expect(describeLimit("max_iterations", { max_iterations: 1 })).toBe("the iteration limit (1)");
    expect(describeLimit("call_timeout_ms")).toBe(
      "the per-call time limit (the model did not answer in time)",
    );
    expect(describeLimit("maxTimeSeconds", { max_time_seconds: 1 })).toBe("the time limit (1 s)");
    expect(describeLimit("max_time_seconds", { max_time_seconds: 2.5 })).toBe("the time limit (2.5 s)");
    expect(describeLimit("max_tokens")).toBe("the token limit");
    expect(describeLimit(null)).toBe("a budget limit");
  });

  it("finds the limit that ended a run in its status, else in its error", () => {
    expect(endingLimit(status({ exceeded: true, exceeded_limit: "max_time_seconds" }), null)).toBe(
      "max_time_seconds",
    );
    expect(endingLimit(null, "Budget exceeded: maxTimeSeconds (limit 1); model call refused.")).toBe(
      "maxTimeSeconds",
    );
    expect(endingLimit(status(), null)).toBeNull();
  });

  it("counts iterations up to the limit: the forced last answer is not one more", () => {
    const rows = meterRows(status({ iterations: 2, limits: { max_iterations: 1 } }), {}, undefined);
    expect(rows.find((r) => r.key === "max_iterations")?.text).toBe("1 / 1");
  });
});

describe("queryOutcome", () => {
  it("tells a run a limit ended from a failed one", () => {
    expect(queryOutcome(null)).toEqual({ kind: "ok", text: "ok" });
    expect(queryOutcome("Budget exceeded: maxIterations (limit 1)")).toEqual({
      kind: "limit",
      text: "ended by the iteration limit",
    });
    expect(queryOutcome("Model provider down")).toEqual({ kind: "failed", text: "Model provider down" });
  });
});

describe("unfinishedNote", () => {
  const q = (error: string | null) => ({ error });
  it("counts runs a limit ended apart from failed ones", () => {
    const limit = "Budget exceeded: maxIterations (limit 1)";
    expect(unfinishedNote({ failed_queries: 0, recent_queries: [q(null)] })).toBeUndefined();
    expect(unfinishedNote({ failed_queries: 2, recent_queries: [q(limit), q(null), q(limit)] })).toBe(
      "2 ended by a limit",
    );
    expect(unfinishedNote({ failed_queries: 2, recent_queries: [q(limit), q("Model provider down")] })).toBe(
      "1 ended by a limit · 1 failed",
    );
  });
  it("does not guess for queries older than the recent list", () => {
    expect(unfinishedNote({ failed_queries: 3, recent_queries: [q("Budget exceeded: maxTime")] })).toBe(
      "1 ended by a limit · 2 more failed or ended by a limit",
    );
    expect(unfinishedNote({ failed_queries: 2 })).toBe("2 failed or ended by a limit");
  });
});
