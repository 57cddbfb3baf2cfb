import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleResult } from "../cache/__fixtures__/result.ts";
import { ConfigError, LLMProviderError } from "../errors.ts";
import type { DeepRecallResult, ReasoningStep } from "../types.ts";
import { ConsoleCallback } from "./console.ts";
import { JsonlCallback } from "./jsonl.ts";
import { CallbackManager } from "./manager.ts";
import { ProgressCallback } from "./progress.ts";
import type { CallbackContext } from "./types.ts";
import { UsageTrackingCallback } from "./usage.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-callbacks-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ctx: CallbackContext = { runId: "0123456789abcdef", query: "Who founded the company and when?" };

function buffer() {
  let text = "";
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

/** Plays one run of `result` through a callback set, the way the engine calls hooks. */
async function playRun(callbacks: CallbackManager, runCtx: CallbackContext, result: DeepRecallResult) {
  await callbacks.onQueryStart(runCtx, {
    topK: 5,
    budget: { maxSearchCalls: 10 },
    signal: new AbortController().signal,
  });
  for (const step of result.reasoningTrace) {
    await callbacks.onIterationStart(runCtx, step.iteration);
    for (const search of step.searches) await callbacks.onSearch(runCtx, search);
    await callbacks.onReasoningStep(runCtx, step);
    await callbacks.onIterationComplete(runCtx, step);
  }
  await callbacks.onQueryEnd(runCtx, result);
}

describe("ConsoleCallback", () => {
  it("prints one readable line per event, tagged with the run id", async () => {
    const out = buffer();
    const callbacks = new CallbackManager(new ConsoleCallback({ stream: out }));
    await playRun(callbacks, ctx, sampleResult());
    await callbacks.onBudgetWarning(ctx, sampleResult().budgetStatus, "80% of maxSearchCalls used");
    await callbacks.onError(
      ctx,
      new LLMProviderError("HTTP 503 with Bearer sk-secret-123456789", { status: 503 }),
    );
    const lines = out.text.trimEnd().split("\n");
    expect(lines.every((line) => line.startsWith("[deeprecall 01234567] "))).toBe(true);
    expect(out.text).toContain(
      'query "Who founded the company and when?" (topK 5, budget maxSearchCalls=10)',
    );
    expect(out.text).toContain("iteration 1\n");
    expect(out.text).toContain('search "founder" topK 5 -> 2 hits (3 ms)');
    expect(out.text).toContain(
      "iteration 1 done in 40 ms: 1 code block, 1 search, 120 tokens, 1 sub-LLM call",
    );
    expect(out.text).toContain("iteration 2 done in 10 ms: 0 code blocks, 0 searches, 165 tokens (final)");
    expect(out.text).toContain("answered in 55 ms: 2 sources, 2 model calls, 285 tokens");
    expect(out.text).toContain("budget warning: 80% of maxSearchCalls used");
    expect(out.text).toContain("error (LLMProviderError): HTTP 503 with Bearer [redacted]");
    expect(out.text).not.toContain("sk-secret");
    // Not verbose: no code.
    expect(out.text).not.toContain("searchDb('founder')");
  });

  it("prints code, output, filters and the answer when verbose, and errors on stopped runs", async () => {
    const out = buffer();
    const callbacks = new CallbackManager(new ConsoleCallback({ stream: out, verbose: true }));
    const failed = {
      ...sampleResult(),
      error: "Budget exceeded: maxSearchCalls",
      usage: { ...sampleResult().usage, costUsd: 0.0123 },
    };
    await playRun(callbacks, ctx, failed);
    expect(out.text).toContain("      const hits = searchDb('founder')");
    expect(out.text).toContain('filters {"year":{"$gte":1800}}');
    expect(out.text).toContain("stopped after 55 ms (Budget exceeded: maxSearchCalls)");
    expect(out.text).toContain("$0.0123");
    expect(out.text).toContain('answer: "It was founded by Ada Lovelace in 1843."');
  });

  it("writes to stderr by default", () => {
    const callback = new ConsoleCallback();
    expect(callback.verbose).toBe(false);
  });
});

describe("JsonlCallback", () => {
  it("appends one parseable JSON object per event with timestamp, runId and event", async () => {
    const path = join(dir, "logs", "deep", "events.jsonl");
    const jsonl = new JsonlCallback({ path });
    const callbacks = new CallbackManager(jsonl);
    const result = sampleResult();
    await playRun(callbacks, ctx, result);
    await callbacks.onBudgetWarning(ctx, result.budgetStatus, "careful");
    const cause = new Error("request body with sk-hidden-1234567890");
    await callbacks.onError(ctx, new LLMProviderError("HTTP 401", { status: 401, cause }));
    await jsonl.close();

    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines.at(-1)).toBe("");
    const records = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.event)).toEqual([
      "query-start",
      "iteration-start",
      "search",
      "reasoning-step",
      "iteration-complete",
      "iteration-start",
      "reasoning-step",
      "iteration-complete",
      "query-end",
      "budget-warning",
      "error",
    ]);
    for (const record of records) {
      expect(record.runId).toBe(ctx.runId);
      expect(record.query).toBe(ctx.query);
      expect(new Date(record.timestamp as string).toISOString()).toBe(record.timestamp);
    }
    expect(records[0]!.options).toEqual({ topK: 5, budget: { maxSearchCalls: 10 } });
    expect(records[2]!.search).toEqual({
      query: "founder",
      topK: 5,
      filters: { year: { $gte: 1800 } },
      hits: 2,
      ids: ["doc-1", "doc-2"],
      timeMs: 3,
    });
    expect(records[8]!.result).toEqual(JSON.parse(JSON.stringify(result)));
    expect(records[9]).toMatchObject({ message: "careful", status: { searchCalls: 1 } });
    expect(records[10]!.error).toEqual({
      name: "LLMProviderError",
      message: "HTTP 401",
      code: "llm_provider_error",
      status: 401,
    });
    expect(lines.join("\n")).not.toContain("sk-hidden");
  });

  it("never interleaves lines from many concurrent runs", async () => {
    const path = join(dir, "concurrent.jsonl");
    const jsonl = new JsonlCallback({ path });
    const big = "x".repeat(200_000);
    const runs = Array.from({ length: 20 }, (_, i) => {
      const result: DeepRecallResult = { ...sampleResult(`query ${i}`), answer: `${i}:${big}` };
      return playRun(new CallbackManager(jsonl), { runId: `run-${i}`, query: `query ${i}` }, result);
    });
    await Promise.all(runs);
    await jsonl.close();
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(20 * 9);
    const records = lines.map(
      (line) => JSON.parse(line) as { runId: string; event: string; result?: DeepRecallResult },
    );
    for (let i = 0; i < 20; i++) {
      const own = records.filter((r) => r.runId === `run-${i}`);
      expect(own.map((r) => r.event)).toEqual([
        "query-start",
        "iteration-start",
        "search",
        "reasoning-step",
        "iteration-complete",
        "iteration-start",
        "reasoning-step",
        "iteration-complete",
        "query-end",
      ]);
      expect(own.at(-1)!.result!.answer).toBe(`${i}:${big}`);
    }
  });

  it("appends to an existing file and rejects events after close", async () => {
    const path = join(dir, "append.jsonl");
    const first = new JsonlCallback({ path });
    await first.onIterationStart(ctx, 1);
    await first.close();
    await first.close();
    const second = new JsonlCallback({ path });
    await second.onIterationStart(ctx, 2);
    await second.flush();
    await second.close();
    const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { iteration: number }).iteration)).toEqual([1, 2]);
    await expect(first.onIterationStart(ctx, 3)).rejects.toThrow(/closed/);
  });

  it("writes safe JSON for cycles, bigints and errors inside payloads", async () => {
    const path = join(dir, "odd.jsonl");
    const jsonl = new JsonlCallback({ path });
    const shared = { same: true };
    const cyclic: Record<string, unknown> = { a: shared, b: shared, n: 10n, bad: new Error("inner") };
    cyclic.self = cyclic;
    const step = { ...sampleResult().reasoningTrace[0], output: cyclic } as unknown as ReasoningStep;
    await jsonl.onReasoningStep(ctx, step);
    await jsonl.close();
    const record = JSON.parse(await readFile(path, "utf8")) as { step: { output: Record<string, unknown> } };
    expect(record.step.output).toEqual({
      a: { same: true },
      b: { same: true },
      n: "10",
      bad: { name: "Error", message: "inner" },
      self: "[Circular]",
    });
  });

  it("surfaces a file it cannot write as a hook failure, not a crash", async () => {
    const blocker = join(dir, "file");
    const makeBlocker = new JsonlCallback({ path: blocker });
    await makeBlocker.onIterationStart(ctx, 1);
    await makeBlocker.close();
    const jsonl = new JsonlCallback({ path: join(blocker, "below", "x.jsonl") });
    await expect(jsonl.onIterationStart(ctx, 1)).rejects.toThrow();
    const errors: unknown[] = [];
    const callbacks = new CallbackManager([jsonl, { onError: (_c, e) => void errors.push(e) }]);
    await callbacks.onIterationStart(ctx, 2);
    expect(errors).toHaveLength(1);
    await jsonl.close();
    expect(() => new JsonlCallback({ path: "" })).toThrow(ConfigError);
  });
});

describe("UsageTrackingCallback", () => {
  function result(
    overrides: Partial<DeepRecallResult>,
    model = "gpt-4o-mini",
    searches = 1,
  ): DeepRecallResult {
    const base = sampleResult();
    const trace = base.reasoningTrace.map((step, i) => ({
      ...step,
      searches: i === 0 ? step.searches.slice(0, 0) : [],
    }));
    for (let i = 0; i < searches; i++) trace[0]!.searches.push(base.reasoningTrace[0]!.searches[0]!);
    return {
      ...base,
      reasoningTrace: trace,
      budgetStatus: { ...base.budgetStatus, searchCalls: searches },
      usage: {
        inputTokens: 100,
        outputTokens: 10,
        totalTokens: 110,
        calls: 2,
        byModel: { [model]: { inputTokens: 100, outputTokens: 10, totalTokens: 110, calls: 2 } },
      },
      ...overrides,
    };
  }

  it("adds up totals across queries, counting failures and averaging time", async () => {
    let clock = new Date("2025-01-01T00:00:00.000Z");
    const tracker = new UsageTrackingCallback({ now: () => clock });
    const callbacks = new CallbackManager(tracker);
    await callbacks.onQueryEnd(ctx, result({ executionTimeMs: 100 }, "gpt-4o-mini", 3));
    await callbacks.onQueryEnd(
      ctx,
      result({
        executionTimeMs: 300,
        usage: {
          inputTokens: 1000,
          outputTokens: 200,
          totalTokens: 1200,
          calls: 3,
          costUsd: 0.5,
          byModel: {
            "gpt-4o-mini": { inputTokens: 400, outputTokens: 100, totalTokens: 500, calls: 1 },
            "gpt-4o": { inputTokens: 600, outputTokens: 100, totalTokens: 700, calls: 2, costUsd: 0.5 },
          },
        },
      }),
    );
    await callbacks.onQueryEnd(
      ctx,
      result({ executionTimeMs: 200, error: "Budget exceeded: maxTokens" }, "gpt-4o", 0),
    );

    expect(tracker.report()).toEqual({
      totalQueries: 3,
      failedQueries: 1,
      inputTokens: 1200,
      outputTokens: 220,
      totalTokens: 1420,
      llmCalls: 7,
      searchCalls: 4,
      totalCostUsd: 0.5,
      averageTimeMs: 200,
      byModel: {
        "gpt-4o-mini": { inputTokens: 500, outputTokens: 110, totalTokens: 610, calls: 3 },
        "gpt-4o": { inputTokens: 700, outputTokens: 110, totalTokens: 810, calls: 4, costUsd: 0.5 },
      },
      since: "2025-01-01T00:00:00.000Z",
      recentQueries: expect.any(Array),
    });

    // Reports are snapshots.
    const snapshot = tracker.report();
    snapshot.byModel["gpt-4o"]!.calls = 999;
    expect(tracker.report().byModel["gpt-4o"]!.calls).toBe(4);

    clock = new Date("2025-02-01T00:00:00.000Z");
    tracker.reset();
    expect(tracker.report()).toMatchObject({
      totalQueries: 0,
      averageTimeMs: 0,
      byModel: {},
      since: "2025-02-01T00:00:00.000Z",
    });
  });

  it("keeps the most recent queries, newest first, bounded by recentLimit", () => {
    const clock = new Date("2025-03-01T12:00:10.000Z");
    const tracker = new UsageTrackingCallback({ now: () => clock, recentLimit: 2 });
    tracker.onQueryEnd({ runId: "a", query: "first" }, result({ query: "first", executionTimeMs: 1000 }));
    tracker.onQueryEnd(
      { runId: "b", query: "second" },
      result({ query: "second", executionTimeMs: 2500, error: "Budget exceeded: maxTokens" }),
    );
    tracker.onQueryEnd(
      { runId: "c", query: "third" },
      result({ query: "third".repeat(200), executionTimeMs: 10 }),
    );
    const recent = tracker.report().recentQueries!;
    expect(recent).toHaveLength(2);
    expect(recent[0]!.query).toHaveLength(500);
    expect(recent[1]).toEqual({
      query: "second",
      startedAt: "2025-03-01T12:00:07.500Z",
      timeMs: 2500,
      totalTokens: 110,
      costUsd: null,
      error: "Budget exceeded: maxTokens",
    });
    tracker.reset();
    expect(tracker.report().recentQueries).toEqual([]);
    expect(new UsageTrackingCallback({ recentLimit: 0 }).report().recentQueries).toEqual([]);
  });

  it("counts searches the budget saw even when the trace missed them", () => {
    const tracker = new UsageTrackingCallback();
    const r = result({}, "m", 1);
    tracker.onQueryEnd(ctx, { ...r, budgetStatus: { ...r.budgetStatus, searchCalls: 5 } });
    expect(tracker.report().searchCalls).toBe(5);
  });

  it("is what DeepRecallEngineApi.usage() finds: an object with report()", () => {
    const tracker: unknown = new UsageTrackingCallback();
    expect(typeof (tracker as { report?: unknown }).report).toBe("function");
  });
});

describe("ProgressCallback", () => {
  it("reports 0 at start, rising fractions per iteration, 1 at the end", async () => {
    const seen: Array<[number, string]> = [];
    const progress = new ProgressCallback({ maxIterations: 4, onProgress: (f, m) => void seen.push([f, m]) });
    await playRun(new CallbackManager(progress), ctx, sampleResult());
    expect(seen).toEqual([
      [0, "Started"],
      [0, "Iteration 1 of at most 4"],
      [0, 'Searched "founder": 2 hits'],
      [0.25, "Iteration 1 done"],
      [0.25, "Iteration 2 of at most 4"],
      [0.5, "Writing the answer"],
      [1, "Done"],
    ]);
  });

  it("uses the query's budget.maxIterations and never reaches 1 before the end", async () => {
    const seen: number[] = [];
    const progress = new ProgressCallback({ onProgress: (f) => void seen.push(f) });
    expect(progress.maxIterations).toBe(15);
    const step = sampleResult().reasoningTrace[0]!;
    await progress.onQueryStart(ctx, { budget: { maxIterations: 2 } });
    for (let i = 1; i <= 4; i++) {
      // Iterations beyond the limit (a forced final turn) must not hit 100%.
      await progress.onIterationStart(ctx, i);
      await progress.onIterationComplete(ctx, { ...step, iteration: i });
    }
    expect(seen.at(-1)).toBeLessThan(1);
    await progress.onQueryEnd(ctx, { ...sampleResult(), error: "Budget exceeded: maxIterations" });
    expect(seen.slice(0, 3)).toEqual([0, 0, 0.5]);
    expect(seen.at(-1)).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
  });

  it("keeps concurrent runs apart", async () => {
    const byRun = new Map<string, number[]>();
    const progress = new ProgressCallback({
      maxIterations: 2,
      onProgress: (f, _m, c) => void byRun.set(c.runId, [...(byRun.get(c.runId) ?? []), f]),
    });
    const a = { runId: "a", query: "a" };
    const b = { runId: "b", query: "b" };
    await progress.onQueryStart(a, {});
    await progress.onQueryStart(b, {});
    await progress.onIterationStart(a, 1);
    await progress.onIterationComplete(a, sampleResult().reasoningTrace[0]!);
    await progress.onIterationStart(b, 1);
    expect(byRun.get("a")).toEqual([0, 0, 0.5]);
    expect(byRun.get("b")).toEqual([0, 0]);
  });

  it("rejects bad options", () => {
    expect(() => new ProgressCallback({} as never)).toThrow(ConfigError);
    expect(() => new ProgressCallback({ onProgress: () => {}, maxIterations: 0 })).toThrow(/maxIterations/);
  });
});

describe("all shipped callbacks together", () => {
  it("run side by side through one manager", async () => {
    const out = buffer();
    const path = join(dir, "all.jsonl");
    const tracker = new UsageTrackingCallback();
    const fractions: number[] = [];
    const manager = new CallbackManager([
      new ConsoleCallback({ stream: out }),
      new JsonlCallback({ path }),
      tracker,
      new ProgressCallback({ onProgress: (f) => void fractions.push(f) }),
    ]);
    await playRun(manager, ctx, sampleResult());
    await manager.close();
    expect(tracker.report()).toMatchObject({ totalQueries: 1, totalTokens: 285, searchCalls: 1 });
    expect((await readFile(path, "utf8")).trimEnd().split("\n")).toHaveLength(9);
    expect(out.text).toContain("answered in");
    expect(fractions.at(-1)).toBe(1);
  });
});
