import { DeepRecallEngine } from "@deeprecall/core";
import { InMemoryVectorStore, type ScriptedReply, scriptedModel } from "@deeprecall/test-utils";
import { SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryTracing } from "./__fixtures__/otel.ts";
import { OpenTelemetryCallback } from "./tracing.ts";

let tracing: ReturnType<typeof memoryTracing>;
const engines: DeepRecallEngine[] = [];
beforeEach(() => {
  tracing = memoryTracing();
});
afterEach(async () => {
  while (engines.length) await engines.pop()!.close();
  await tracing.shutdown();
});

async function engineWith(replies: ScriptedReply[], callback: OpenTelemetryCallback) {
  const store = new InMemoryVectorStore();
  await store.addDocuments({ documents: ["Paris is the capital of France.", "Berlin is in Germany."] });
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: scriptedModel(replies),
    callbacks: [callback],
    retry: { maxRetries: 0 },
  });
  engines.push(engine);
  return engine;
}

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("OpenTelemetryCallback", () => {
  it("traces a run: query > iteration > model call, search, sandbox block; tokens and budget as attributes", async () => {
    const callback = new OpenTelemetryCallback({ tracer: tracing.tracer });
    const engine = await engineWith(
      [
        'Let me look.\n```repl\nconst hits = searchDb("capital of France", 2);\nprint(hits.length);\n```',
        "FINAL(Paris)",
      ],
      callback,
    );
    const result = await engine.query("What is the capital of France?", { budget: { maxSearchCalls: 5 } });
    expect(result.answer).toBe("Paris");
    const spans = tracing.spans();
    const [query] = byName(spans, "deeprecall.query");
    expect(query).toBeDefined();
    expect(query!.attributes).toMatchObject({
      "gen_ai.usage.input_tokens": 20,
      "gen_ai.usage.output_tokens": 10,
      "deeprecall.usage.total_tokens": 30,
      "deeprecall.usage.llm_calls": 2,
      "deeprecall.budget.max_search_calls": 5,
      // The engine's grounding search of the question, then the model's own.
      "deeprecall.budget.search_calls": 2,
      "deeprecall.budget.exceeded": false,
      "deeprecall.iterations": 2,
    });
    expect(query!.attributes["deeprecall.query"]).toBeUndefined(); // content is opt-in
    const iterations = byName(spans, "deeprecall.iteration");
    expect(iterations).toHaveLength(2);
    for (const it of iterations) expect(parentOf(it)).toBe(query!.spanContext().spanId);
    const [first] = iterations.filter((s) => s.attributes["deeprecall.iteration"] === 1);
    const children = spans.filter((s) => parentOf(s) === first!.spanContext().spanId).map((s) => s.name);
    expect(children.sort()).toEqual([
      "deeprecall.model_call",
      "deeprecall.sandbox_block",
      "deeprecall.search",
    ]);
    const searches = byName(spans, "deeprecall.search");
    expect(searches).toHaveLength(2);
    const search = searches.find((s) => s.attributes["deeprecall.search.top_k"] === 2);
    expect(search!.attributes).toMatchObject({ "deeprecall.search.top_k": 2, "deeprecall.search.hits": 2 });
    expect(byName(spans, "deeprecall.model_call")).toHaveLength(2);
    expect(query!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(callback.openRuns).toBe(0);
  });

  it("records content only when asked", async () => {
    const callback = new OpenTelemetryCallback({ tracer: tracing.tracer, captureContent: true });
    const engine = await engineWith(['```js\nsearchDb("Berlin")\n```', "FINAL(ok)"], callback);
    await engine.query("Where is Berlin?");
    const spans = tracing.spans();
    expect(byName(spans, "deeprecall.query")[0]!.attributes["deeprecall.query"]).toBe("Where is Berlin?");
    expect(byName(spans, "deeprecall.search").map((s) => s.attributes["deeprecall.search.query"])).toEqual([
      "Where is Berlin?",
      "Berlin",
    ]);
    expect(byName(spans, "deeprecall.sandbox_block")[0]!.attributes["deeprecall.sandbox.code"]).toContain(
      "searchDb",
    );
  });

  it("marks a failed run as an error, with the secret in the message redacted, and closes its spans", async () => {
    const callback = new OpenTelemetryCallback({ tracer: tracing.tracer });
    const secret = "sk-live-abcdefghijklmnop1234";
    const engine = await engineWith(
      [new Error(`provider rejected Authorization: Bearer ${secret}`)],
      callback,
    );
    await expect(engine.query("anything")).rejects.toThrow();
    const [query] = byName(tracing.spans(), "deeprecall.query");
    expect(query!.status.code).toBe(SpanStatusCode.ERROR);
    expect(JSON.stringify(query!.events)).not.toContain(secret);
    expect(query!.status.message ?? "").not.toContain(secret);
    expect(callback.openRuns).toBe(0);
    // Every started span was ended.
    for (const span of tracing.spans()) expect(span.ended).toBe(true);
  });

  it("nests the query span under the span active when the run starts", async () => {
    const callback = new OpenTelemetryCallback({ tracer: tracing.tracer });
    const engine = await engineWith(["FINAL(x)"], callback);
    await tracing.tracer.startActiveSpan("outer", async (outer) => {
      await engine.query("q");
      outer.end();
    });
    const spans = tracing.spans();
    const [outer] = byName(spans, "outer");
    const [query] = byName(spans, "deeprecall.query");
    expect(parentOf(query!)).toBe(outer!.spanContext().spanId);
    expect(query!.spanContext().traceId).toBe(outer!.spanContext().traceId);
  });
});
