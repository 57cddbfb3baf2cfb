import { DeepRecallEngine, DeepRecallError } from "@deeprecall/core";
import { createMetrics, OpenTelemetryCallback } from "@deeprecall/observability";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import { context, propagation, SpanKind } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { Harness } from "./__fixtures__/harness.ts";
import { createApp } from "./app.ts";
import { toApiError } from "./errors.ts";
import { type RunningServer, startServer } from "./serve.ts";

const harness = new Harness();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await harness.stopAll();
  while (cleanup.length) await cleanup.pop()!();
});

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function finalModel() {
  return new MockLanguageModelV4({
    modelId: "mock-model",
    doGenerate: async () => ({
      content: [{ type: "text", text: "FINAL(Paris)" }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

async function realServer(
  engine: DeepRecallEngine,
  options: Parameters<typeof createApp>[1],
): Promise<RunningServer> {
  const server = await startServer({ app: createApp(engine, options), port: 0, host: "127.0.0.1" });
  cleanup.push(async () => {
    await server.close();
    await engine.close();
  });
  return server;
}

const chat = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ messages: [{ role: "user", content: "Capital of France?" }] }),
  });

describe("GET /metrics", () => {
  it("is behind auth by default", async () => {
    const { request } = await harness.start({ apiKeys: ["sk-metrics-key-1"], metrics: true });
    const denied = await request("/metrics");
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    const res = await request("/metrics", { headers: { authorization: "Bearer sk-metrics-key-1" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(
      /^deeprecall_http_requests_total\{method="GET",route="[^"]+",status="401"\} 1$/m,
    );
  });

  it("serves Prometheus text with per-route counters; exempting /metrics opens it", async () => {
    const metrics = createMetrics();
    const { request } = await harness.start({
      apiKeys: ["sk-metrics-key-2"],
      metrics,
      rateLimit: 1,
      exemptPaths: ["/health", "/metrics"],
    });
    const auth = { authorization: "Bearer sk-metrics-key-2" };
    await (await request("/v1/models", { headers: auth })).text();
    await (await request("/v1/models", { headers: auth })).text(); // 429
    await (await request("/v1/models")).text(); // 401
    const res = await request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="/v1/models",status="200"}')).toBe(
      1,
    );
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="/v1/models",status="429"}')).toBe(
      1,
    );
    expect(sample(text, 'deeprecall_http_requests_total{method="GET",route="/v1/models",status="401"}')).toBe(
      1,
    );
    expect(sample(text, "deeprecall_rate_limit_rejections_total")).toBe(1);
    expect(text).not.toContain("sk-metrics-key-2");
  });

  it("counts engine runs and tokens when the engine accepts callbacks", async () => {
    const metrics = createMetrics();
    const engine = new DeepRecallEngine({ vectorStore: new InMemoryVectorStore(), model: finalModel() });
    const server = await realServer(engine, { metrics });
    expect((await chat(server.url)).status).toBe(200);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, 'deeprecall_queries_total{outcome="ok"}')).toBe(1);
    expect(sample(text, 'deeprecall_tokens_total{model="mock-model",type="input"}')).toBe(10);
    expect(sample(text, "deeprecall_active_runs")).toBe(0);
  });

  it("is absent unless enabled, and a bad metrics option is a ConfigError", async () => {
    const { request } = await harness.start();
    expect((await request("/metrics")).status).toBe(404);
    await expect(harness.start({ metrics: {} as never })).rejects.toThrow(/metrics/);
  });
});

describe("HTTP tracing", () => {
  it("makes a SERVER span per request with the engine's query span inside it", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    cleanup.push(async () => {
      await provider.shutdown();
      context.disable();
      propagation.disable();
    });
    const tracer = provider.getTracer("test");
    const engine = new DeepRecallEngine({
      vectorStore: new InMemoryVectorStore(),
      model: finalModel(),
      callbacks: [new OpenTelemetryCallback({ tracer })],
    });
    const server = await realServer(engine, { tracing: { tracer } });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect((await chat(server.url, { traceparent })).status).toBe(200);
    await (await fetch(`${server.url}/v1/models/nope`)).text();
    const spans = exporter.getFinishedSpans();
    const http = spans.find((s) => s.name === "POST /v1/chat/completions");
    expect(http).toBeDefined();
    expect(http!.kind).toBe(SpanKind.SERVER);
    expect(http!.attributes["http.response.status_code"]).toBe(200);
    expect(http!.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c"); // traceparent honoured
    const query = spans.find((s) => s.name === "deeprecall.query");
    expect(query?.parentSpanContext?.spanId).toBe(http!.spanContext().spanId);
    const notFound = spans.find((s) => s.name === "GET /v1/models/:id");
    expect(notFound?.attributes["http.response.status_code"]).toBe(404);
  });
});

describe("service_unavailable errors", () => {
  it("map to an OpenAI-shaped 503 with Retry-After (e.g. Redis down behind a fail-closed store)", () => {
    const error = toApiError(
      new DeepRecallError("Redis is unavailable (ClientOfflineError)", { code: "service_unavailable" }),
    );
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({ "retry-after": "1" });
    expect(error.toBody().error).toMatchObject({ type: "server_error", code: "service_unavailable" });
  });
});
