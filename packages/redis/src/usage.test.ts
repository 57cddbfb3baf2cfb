import { randomUUID } from "node:crypto";
import { type DeepRecallResult, UsageTrackingCallback } from "@deeprecall/core";
import { eventually, RedisServerProcess } from "@deeprecall/test-utils";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisUnavailableError } from "./errors.ts";
import { RedisUsageTracker } from "./usage.ts";

const url = inject("redisUrl");
const silent = () => {};
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});
const ctx = { runId: "r", query: "q" };

function result(overrides: Partial<DeepRecallResult> = {}, model = "gpt-x"): DeepRecallResult {
  return {
    answer: "a",
    sources: [],
    reasoningTrace: [
      {
        iteration: 1,
        modelText: "",
        code: [],
        output: "",
        searches: [{ query: "s", topK: 3, hits: 1, ids: ["1"], timeMs: 1 }],
        subLLMCalls: [],
        timeMs: 5,
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      },
    ],
    usage: {
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      calls: 2,
      costUsd: 0.0125,
      byModel: { [model]: { calls: 2, inputTokens: 10, outputTokens: 5, totalTokens: 15, costUsd: 0.0125 } },
    },
    executionTimeMs: 120,
    query: "q",
    budgetStatus: {
      iterations: 1,
      searchCalls: 1,
      tokens: 15,
      elapsedSeconds: 0.1,
      costUsd: null,
      utilization: null,
      exceeded: false,
      exceededLimit: null,
      limits: {},
    },
    confidence: null,
    ...overrides,
  };
}

describe("RedisUsageTracker", () => {
  it("sums the fleet's queries like core's UsageTrackingCallback sums one process's", async () => {
    const prefix = `t-${randomUUID()}:`;
    const replicas = [0, 1, 2].map(() => new RedisUsageTracker({ url, prefix, logger: silent }));
    open.push(...replicas);
    const local = new UsageTrackingCallback();
    const results = [
      result(),
      result({ error: "Budget exceeded: maxTokens", executionTimeMs: 30 }),
      result({}, "model:with:colons"),
      result({
        usage: {
          inputTokens: 1,
          outputTokens: 1,
          totalTokens: 2,
          calls: 1,
          byModel: { "m-free": { calls: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
        },
      }),
    ];
    await Promise.all(results.map((r, i) => replicas[i % 3]!.onQueryEnd(ctx, r)));
    for (const r of results) local.onQueryEnd(ctx, r);
    const fleet = await replicas[2]!.report();
    const expected = local.report();
    expect({ ...fleet, since: "x", totalCostUsd: 0, byModel: {} }).toEqual({
      ...expected,
      since: "x",
      totalCostUsd: 0,
      byModel: {},
    });
    expect(fleet.totalCostUsd).toBeCloseTo(expected.totalCostUsd, 12);
    expect(Object.keys(fleet.byModel).sort()).toEqual(Object.keys(expected.byModel).sort());
    for (const [model, m] of Object.entries(expected.byModel)) {
      const got = fleet.byModel[model]!;
      expect({ ...got, costUsd: undefined }).toEqual({ ...m, costUsd: undefined });
      if (m.costUsd === undefined) expect(got.costUsd).toBeUndefined();
      else expect(got.costUsd).toBeCloseTo(m.costUsd, 12);
    }
    expect(Number.isNaN(Date.parse(fleet.since))).toBe(false);

    await replicas[0]!.reset();
    expect((await replicas[1]!.report()).totalQueries).toBe(0);
  });

  it("fail-open keeps increments through an outage and writes them when Redis is back", async () => {
    const server = await RedisServerProcess.start();
    try {
      const tracker = new RedisUsageTracker({ url: server.url, logger: silent, commandTimeoutMs: 500 });
      open.push(tracker);
      await tracker.onQueryEnd(ctx, result());
      await server.stop();
      await tracker.onQueryEnd(ctx, result());
      await tracker.onQueryEnd(ctx, result());
      await expect(tracker.report()).rejects.toBeInstanceOf(RedisUnavailableError);
      await server.restart(); // an empty Redis (no persistence): only what was pending comes back
      await eventually(() => tracker.flush());
      expect((await tracker.report()).totalQueries).toBe(2);
    } finally {
      await server.stop();
    }
  });

  it("fail-closed throws from the callback while Redis is away", async () => {
    const server = await RedisServerProcess.start();
    try {
      const tracker = new RedisUsageTracker({ url: server.url, logger: silent, failOpen: false });
      open.push(tracker);
      await tracker.onQueryEnd(ctx, result());
      await server.stop();
      await expect(tracker.onQueryEnd(ctx, result())).rejects.toBeInstanceOf(RedisUnavailableError);
    } finally {
      await server.stop();
    }
  });
});
