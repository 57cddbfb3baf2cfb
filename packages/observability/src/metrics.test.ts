import { DeepRecallEngine, InMemoryCache } from "@deeprecall/core";
import { rateLimiter } from "@deeprecall/middleware";
import { InMemoryVectorStore, scriptedModel } from "@deeprecall/test-utils";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Value of one sample in Prometheus text, e.g. sample(text, 'x_total{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function listen(app: Hono): Promise<string> {
  return await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  });
}

describe("createMetrics", () => {
  it("counts requests by route and status, latency, and rate-limit rejections; serves Prometheus text", async () => {
    const metrics = createMetrics();
    const app = new Hono();
    app.use(metrics.middleware());
    app.use(
      rateLimiter({
        requestsPerMinute: 2,
        keyFor: (c) => c.req.header("x-client") ?? "anon",
        exemptPaths: ["/metrics"],
      }),
    );
    app.get("/items/:id", (c) => c.json({ id: c.req.param("id") }));
    app.get("/boom", () => {
      throw new Error("bug");
    });
    app.get("/metrics", metrics.handler());
    const url = await listen(app);

    for (const id of ["1", "2", "3"])
      await (await fetch(`${url}/items/${id}`, { headers: { "x-client": "a" } })).text();
    await (await fetch(`${url}/boom`, { headers: { "x-client": "b" } })).text();
    await (await fetch(`${url}/nowhere/${Math.random()}`, { headers: { "x-client": "c" } })).text();
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="/items/:id",status="200"}')).toBe(
      2,
    );
    expect(sample(text, "deeprecall_rate_limit_rejections_total")).toBe(1);
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="/boom",status="500"}')).toBe(1);
    // Unknown paths share one label value: no cardinality blow-up from random URLs.
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(
      1,
    );
    expect(text).not.toContain("/nowhere/");
    expect(
      sample(
        text,
        'deeprecall_http_request_duration_seconds_count{method="GET",route="/items/:id",status="200"}',
      ),
    ).toBe(2);
    expect(text).toContain("# TYPE deeprecall_active_runs gauge");
  });

  it("feeds active runs, queries, tokens and cache hit rate from an engine", async () => {
    const metrics = createMetrics();
    const store = new InMemoryVectorStore();
    await store.addDocuments({ documents: ["alpha", "beta"] });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const model = scriptedModel(["FINAL(one)", "FINAL(two)"], "mock-model");
    const original = model.doGenerate.bind(model);
    let entered!: () => void;
    const started = new Promise<void>((r) => {
      entered = r;
    });
    model.doGenerate = async (options) => {
      entered();
      await gate;
      return original(options);
    };
    const engine = new DeepRecallEngine({
      vectorStore: store,
      model,
      cache: metrics.instrumentCache(new InMemoryCache()),
      cacheAnswers: true,
    });
    cleanup.push(() => engine.close());
    expect(metrics.attach(engine)).toBe(true);
    expect(metrics.attach(engine)).toBe(true); // idempotent: counted once
    const running = engine.query("first");
    await started;
    expect((await metrics.activeRuns.get()).values[0]!.value).toBe(1);
    release();
    await running;
    await engine.query("first"); // cache hit
    await engine.query("second");
    const text = await metrics.registry.metrics();
    expect(sample(text, "deeprecall_active_runs")).toBe(0);
    expect(sample(text, 'deeprecall_queries_total{outcome="ok"}')).toBe(2);
    expect(sample(text, 'deeprecall_tokens_total{model="mock-model",type="input"}')).toBe(20);
    expect(sample(text, 'deeprecall_tokens_total{model="mock-model",type="output"}')).toBe(10);
    const hits = sample(text, 'deeprecall_cache_lookups_total{cache="engine",result="hit"}') ?? 0;
    const misses = sample(text, 'deeprecall_cache_lookups_total{cache="engine",result="miss"}') ?? 0;
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'deeprecall_cache_hit_ratio{cache="engine"}')).toBeCloseTo(hits / (hits + misses), 9);
  });

  it("keeps apps apart: each createMetrics() has its own registry", () => {
    const a = createMetrics();
    const b = createMetrics();
    a.rateLimitRejections.inc();
    expect(a.registry).not.toBe(b.registry);
  });
});
