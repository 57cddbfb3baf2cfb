import { randomUUID } from "node:crypto";
import { type DeepRecallResult, type RecentQuery, UsageTrackingCallback } from "@deeprecall/core";
import { eventually, RedisServerProcess } from "@deeprecall/test-utils";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisConnection } from "./connection.ts";
import { RedisUnavailableError } from "./errors.ts";
import { RedisUsageTracker } from "./usage.ts";

const url = inject("redisUrl");
// Non-empty when redis-server is missing outside CI: the suites below are skipped, saying so.
const redisSkip = inject("redisSkip");
const silent = () => {};
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});
const ctx = { runId: "r", query: "q" };
/** One clock for the fleet and core's tracker, so their records' `startedAt` agree. */
const fixedNow = () => new Date("2026-03-01T12:00:00.000Z");

/**
 * `commandTimeoutMs` of the fail-open tests' trackers. While Redis is down nothing waits for it:
 * commands fail at once (no offline queue), a flush's MULTI (which has no timeout) at the next
 * failed reconnect. Once Redis is back, a short timeout would only turn a slow reply on a stalled
 * machine into a spurious RedisUnavailableError from `report()`, so it is generous.
 */
const COMMAND_TIMEOUT_MS = 5_000;

/** A connection of its own, to look at and tamper with the keys directly. */
function raw(redisUrl = url): RedisConnection {
  const connection = new RedisConnection({ url: redisUrl, logger: silent });
  open.push(connection);
  return connection;
}

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

describe.skipIf(redisSkip)(`RedisUsageTracker${redisSkip}`, () => {
  it("sums the fleet's queries like core's UsageTrackingCallback sums one process's", async () => {
    const prefix = `t-${randomUUID()}:`;
    const replicas = [0, 1, 2].map(
      () => new RedisUsageTracker({ url, prefix, logger: silent, now: fixedNow }),
    );
    open.push(...replicas);
    const local = new UsageTrackingCallback({ now: fixedNow });
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
    const common = { since: "x", totalCostUsd: 0, byModel: {}, recentQueries: [] };
    expect({ ...fleet, ...common }).toEqual({ ...expected, ...common });
    // The replicas wrote concurrently, so only the set of records is fixed here (order: below).
    const sorted = (qs: RecentQuery[] | undefined) => (qs ?? []).map((q) => JSON.stringify(q)).sort();
    expect(sorted(fleet.recentQueries)).toEqual(sorted(expected.recentQueries));
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

  it("lists the fleet's recent queries on every replica, newest first, as core's tracker does, bounded by recentLimit", async () => {
    const prefix = `t-${randomUUID()}:`;
    const replicas = [0, 1, 2].map(
      () => new RedisUsageTracker({ url, prefix, logger: silent, now: fixedNow, recentLimit: 5 }),
    );
    open.push(...replicas);
    const local = new UsageTrackingCallback({ now: fixedNow, recentLimit: 5 });
    const results = [
      result({ query: "q0" }),
      result({ query: "q1", error: "Budget exceeded: maxTokens", executionTimeMs: 30 }),
      result({ query: "q2".padEnd(600, "x") }), // cut to 500 characters
      result({
        query: "q3",
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, calls: 1, byModel: {} },
      }),
      result({ query: "q4" }),
      result({ query: "q5" }),
      result({ query: "q6" }),
    ];
    // One at a time, so the order they reach Redis is the order core's tracker sees them.
    for (const [i, r] of results.entries()) {
      await replicas[i % 3]!.onQueryEnd(ctx, r);
      local.onQueryEnd(ctx, r);
    }
    const expected = local.report().recentQueries;
    expect(expected?.map((q) => q.query.slice(0, 2))).toEqual(["q6", "q5", "q4", "q3", "q2"]);
    for (const replica of replicas) expect((await replica.report()).recentQueries).toEqual(expected);
    const fleet = (await replicas[0]!.report()).recentQueries!;
    expect(fleet[3]).toMatchObject({ query: "q3", costUsd: null, error: null, totalTokens: 2 });
    expect(fleet[4]!.query).toHaveLength(500);
    expect(await raw().command(["LLEN", `${prefix}usage:recent`])).toBe(5);

    // A replica with recentLimit 0 neither lists nor writes records (its totals still count).
    const none = new RedisUsageTracker({ url, prefix, logger: silent, recentLimit: 0 });
    open.push(none);
    await none.onQueryEnd(ctx, result({ query: "unlisted" }));
    expect(await none.report()).toMatchObject({ totalQueries: 8, recentQueries: [] });
    expect((await replicas[1]!.report()).recentQueries).toEqual(expected);

    await replicas[2]!.reset();
    for (const replica of replicas) expect((await replica.report()).recentQueries).toEqual([]);
    expect(await raw().command(["EXISTS", `${prefix}usage:recent`])).toBe(0);
  });

  it("keeps the list bounded however many replicas write at once", async () => {
    const prefix = `t-${randomUUID()}:`;
    const replicas = [0, 1, 2].map(
      () => new RedisUsageTracker({ url, prefix, logger: silent, recentLimit: 7 }),
    );
    open.push(...replicas);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.onQueryEnd(ctx, result({ query: `q${i}` }))),
    );
    const lists = await Promise.all(replicas.map(async (r) => (await r.report()).recentQueries));
    expect(lists[0]).toHaveLength(7);
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
    expect(new Set(lists[0]!.map((q) => q.query)).size).toBe(7);
    expect(await raw().command(["LLEN", `${prefix}usage:recent`])).toBe(7);
  });

  it("skips list entries that are not JSON records of the right shape", async () => {
    const prefix = `t-${randomUUID()}:`;
    const tracker = new RedisUsageTracker({ url, prefix, logger: silent, now: fixedNow });
    open.push(tracker);
    await tracker.onQueryEnd(ctx, result({ query: "good" }));
    const good = (await tracker.report()).recentQueries![0]!;
    const junk = [
      "not json",
      "null",
      "[1,2]",
      "{}",
      JSON.stringify({ ...good, timeMs: "120" }),
      JSON.stringify({ ...good, costUsd: undefined }), // costUsd missing (null is the "no price" value)
      JSON.stringify({ ...good, error: 42 }),
      JSON.stringify({ ...good, startedAt: "yesterday" }),
    ];
    const redis = raw();
    await redis.command(["LPUSH", `${prefix}usage:recent`, ...junk]);
    await redis.command([
      "LPUSH",
      `${prefix}usage:recent`,
      JSON.stringify({ ...good, query: "extra", secret: "x" }),
    ]);
    const listed = (await tracker.report()).recentQueries;
    expect(listed).toEqual([{ ...good, query: "extra" }, good]);
  });

  it("fail-open keeps recent queries through an outage (the newest recentLimit) and writes them when Redis is back", async () => {
    const server = await RedisServerProcess.start();
    try {
      const tracker = new RedisUsageTracker({
        url: server.url,
        logger: silent,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        maxReconnectDelayMs: 100, // back soon after the restart: the test waits on it
        recentLimit: 3,
      });
      open.push(tracker);
      await tracker.onQueryEnd(ctx, result({ query: "before" }));
      await server.stop();
      for (const q of ["d1", "d2", "d3", "d4", "d5"]) await tracker.onQueryEnd(ctx, result({ query: q }));
      await expect(tracker.report()).rejects.toBeInstanceOf(RedisUnavailableError);
      await server.restart(); // empty: only what was pending comes back
      // Watch what the flush sends: the LTRIM would hide a buffer that kept more than 3.
      const watcher = raw(server.url);
      await eventually(() => watcher.command(["PING"]));
      const pushed: string[] = [];
      await watcher.client.monitor((line) => {
        if (/^\S+ \[[^\]]*\] "lpush"/i.test(line)) {
          pushed.push(...[...line.matchAll(/\\"query\\":\\"(\w+)\\"/g)].map((m) => m[1]!));
        }
      });
      await eventually(() => tracker.flush());
      await eventually(async () => expect(pushed).toEqual(["d3", "d4", "d5"]));
      const report = await tracker.report();
      expect(report.totalQueries).toBe(5);
      expect(report.recentQueries?.map((q) => q.query)).toEqual(["d5", "d4", "d3"]);
    } finally {
      await server.stop();
    }
  });

  it("fail-open drops a query's record along with its totals once maxPendingQueries is reached", async () => {
    const server = await RedisServerProcess.start();
    try {
      const tracker = new RedisUsageTracker({
        url: server.url,
        logger: silent,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        maxReconnectDelayMs: 100,
        maxPendingQueries: 2,
      });
      open.push(tracker);
      await tracker.onQueryEnd(ctx, result({ query: "before" }));
      await server.stop();
      for (const q of ["d1", "d2", "d3"]) await tracker.onQueryEnd(ctx, result({ query: q }));
      await server.restart();
      await eventually(() => tracker.flush());
      const report = await tracker.report();
      expect(report.totalQueries).toBe(2);
      expect(report.recentQueries?.map((q) => q.query)).toEqual(["d2", "d1"]);
    } finally {
      await server.stop();
    }
  });

  it("fail-open keeps increments through an outage and writes them when Redis is back", async () => {
    const server = await RedisServerProcess.start();
    try {
      const tracker = new RedisUsageTracker({
        url: server.url,
        logger: silent,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
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
