import { randomUUID } from "node:crypto";
import { DeepRecallEngine } from "@deeprecall/core";
import { createApp, type RunningServer, startServer } from "@deeprecall/server";
import { eventually, InMemoryVectorStore, RedisServerProcess, scriptedModel } from "@deeprecall/test-utils";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createRedisState, type RedisState } from "./state.ts";

const url = inject("redisUrl");
// Non-empty when redis-server is missing outside CI: the suites below are skipped, saying so.
const redisSkip = inject("redisSkip");
const silent = () => {};
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function replica(state: RedisState, rateLimit = 1000): Promise<RunningServer> {
  const engine = new DeepRecallEngine({
    vectorStore: new InMemoryVectorStore(),
    // Every chat is answered "42" at once; no test here makes more than a few model calls.
    model: scriptedModel(Array.from({ length: 10 }, () => "FINAL(42)")),
    cache: state.cache,
    cacheAnswers: true,
    callbacks: [state.usageTracker],
  });
  const app = createApp(engine, { rateLimit: { requestsPerMinute: rateLimit, store: state.rateLimitStore } });
  const server = await startServer({ app, port: 0, host: "127.0.0.1" });
  cleanup.push(async () => {
    await server.close();
    await engine.close();
    await state.close();
  });
  return server;
}

const chat = (server: RunningServer, content: string) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content }] }),
  });

describe.skipIf(redisSkip)(`server replicas on one Redis${redisSkip}`, () => {
  it("share usage totals and the result cache", async () => {
    const prefix = `fleet-${randomUUID()}:`;
    const a = await replica(createRedisState({ url, prefix, logger: silent }));
    const b = await replica(createRedisState({ url, prefix, logger: silent }));
    expect((await chat(a, "first question")).status).toBe(200);
    expect((await chat(b, "second question")).status).toBe(200);
    // Same question on the other replica: a cache hit (a hit spends nothing and is not counted).
    const cached = await chat(b, "first question");
    expect(
      ((await cached.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
    ).toBe("42");
    const usage = (await (await fetch(`${a.url}/v1/usage`)).json()) as Record<string, unknown>;
    expect(usage).toMatchObject({
      status: "ok",
      usage: { total_queries: 2, llm_calls: 2, prompt_tokens: 20 },
    });
    const cleared = await fetch(`${b.url}/v1/cache/clear`, { method: "POST" });
    expect(cleared.status).toBe(200);
  });

  it("fail-closed: 503 while Redis is down, and serves again once it is back on the same port", async () => {
    const redis = await RedisServerProcess.start();
    cleanup.push(() => redis.stop());
    const server = await replica(createRedisState({ url: redis.url, failOpen: false, logger: silent }));
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(200);

    await redis.stop();
    const down = await fetch(`${server.url}/v1/models`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    const body = (await down.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "server_error", code: "service_unavailable", param: null });
    expect(JSON.stringify(body)).not.toContain(redis.url);
    const usage = await fetch(`${server.url}/v1/usage`);
    expect(usage.status).toBe(503);

    await redis.restart();
    await eventually(async () => {
      const res = await fetch(`${server.url}/v1/models`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`still ${res.status}`);
    });
    expect((await chat(server, "after the outage")).status).toBe(200);
  });

  it("fail-open: keeps serving while Redis is down (limits off, cache empty), then shares state again", async () => {
    const redis = await RedisServerProcess.start();
    cleanup.push(() => redis.stop());
    const warnings: string[] = [];
    const state = createRedisState({
      url: redis.url,
      logger: (e) => {
        if (e.level === "warn") warnings.push(e.message);
      },
    });
    const server = await replica(state, 2);
    await redis.stop();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(server, `down ${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200]); // a limit of 2 is not enforced while down
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    await redis.restart();
    await eventually(() => state.usageTracker.flush());
    // The 4 queries made during the outage reach the (emptied) Redis once it is back.
    expect((await state.usageTracker.report()).totalQueries).toBe(4);
    // And the limit applies again: a fresh bucket of 2, then 429.
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await fetch(`${server.url}/v1/models`)).status);
    expect(after).toEqual([200, 200, 429]);
  });
});
