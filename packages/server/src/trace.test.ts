/**
 * The live trace (`deeprecall.trace: true`) of a real DeepRecallEngine run (real sandbox, real
 * LocalStore) over a real port: named SSE events, in the order the engine works, before the answer.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine, UsageTrackingCallback } from "@deeprecall/core";
import { scriptedModel } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { afterEach, describe, expect, it } from "vitest";
import { SseReader } from "./__fixtures__/sse.ts";
import { createApp } from "./app.ts";
import { startServer } from "./serve.ts";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SCRIPT = [
  "Let me look.\n```repl\nconst hits = searchDb('Acme founder', 2)\nprint(hits[0].id)\nconst s = llmQuery('Summarise: ' + hits[0].content)\nprint(s)\n```",
  "FINAL(Acme was founded by Jane Doe [1].)",
];

async function serve(replies: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-trace-"));
  const store = new LocalStore({ directory: dir });
  const tracker = new UsageTrackingCallback();
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: scriptedModel(replies),
    subModel: scriptedModel(["Jane Doe founded Acme."], "mock-sub"),
    callbacks: [tracker],
    budget: { maxIterations: 6, maxSearchCalls: 10 },
  });
  const server = await startServer({ app: createApp(engine) });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => engine.close());
  cleanups.push(() => server.close());
  await engine.addDocuments({
    documents: ["Acme Corporation was founded by Jane Doe in 1999.", "The weather in Paris is mild."],
    ids: ["acme", "weather"],
    metadatas: [{ source: "acme.txt" }, { source: "weather.txt" }],
  });
  const post = (body: unknown) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { server, post };
}

const ask = (deeprecall: Record<string, unknown>) => ({
  model: "deeprecall",
  stream: true,
  messages: [{ role: "user", content: "Who founded Acme?" }],
  deeprecall,
});

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON in assertions
type Json = Record<string, any>;

/** Splits a stream into ("trace", event) and ("chunk", chunk) in arrival order. */
async function read(res: Response): Promise<Array<["trace" | "chunk", Json]>> {
  const out: Array<["trace" | "chunk", Json]> = [];
  for (const block of await new SseReader(res.body!).rest()) {
    if (block.startsWith(":") || block === "data: [DONE]") continue;
    const lines = block.split("\n");
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
    const data = JSON.parse(lines.find((l) => l.startsWith("data: "))!.slice(6)) as Json;
    if (event !== undefined) {
      expect(event).toBe("deeprecall.trace");
      out.push(["trace", data]);
    } else out.push(["chunk", data]);
  }
  return out;
}

describe("deeprecall.trace", () => {
  it("streams each step of the run as named events before the answer text", async () => {
    const { post } = await serve(SCRIPT);
    const res = await post(ask({ trace: true }));
    expect(res.status).toBe(200);
    const events = await read(res);
    const traces = events.filter(([k]) => k === "trace").map(([, e]) => e);
    const types = traces.map((e) => e.type);
    expect(types[0]).toBe("query-start");
    for (const t of ["iteration-start", "model-text", "code", "code-output", "search", "sub-llm"]) {
      expect(types).toContain(t);
    }
    expect(types.filter((t) => t === "iteration-complete")).toHaveLength(2);
    // The order the engine works in: the code runs, then its search and sub-call, then its output.
    expect(types.indexOf("code")).toBeLessThan(types.indexOf("code-output"));
    const search = traces.find((e) => e.type === "search" && e.query === "Acme founder")!;
    expect(search).toMatchObject({ iteration: 1, top_k: 2, cached: false });
    expect(search.hits[0].id).toBe("acme");
    expect(search.hits[0].score).toBeTypeOf("number");
    const scores = (search.hits as Json[]).map((h) => h.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const sub = traces.find((e) => e.type === "sub-llm")!;
    expect(sub).toMatchObject({ depth: 2, response: "Jane Doe founded Acme.", error: null });
    expect(sub.prompt).toContain("Summarise: Acme Corporation");
    const output = traces.find((e) => e.type === "code-output")!;
    expect(output.output).toContain("acme");
    const first = traces.find((e) => e.type === "iteration-complete")!;
    expect(first.usage.total_tokens).toBeGreaterThan(0);
    expect(first.budget_status).toMatchObject({
      iterations: 1,
      search_calls: 2, // the grounding search and the model's
      limits: { max_iterations: 6, max_search_calls: 10 },
    });
    // elapsed_ms never goes backwards.
    const elapsed = traces.map((e) => e.elapsed_ms as number);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    // Every trace event comes before the first piece of answer text.
    const firstText = events.findIndex(([k, c]) => k === "chunk" && c.choices?.[0]?.delta?.content);
    const lastTrace = events.map(([k]) => k).lastIndexOf("trace");
    expect(firstText).toBeGreaterThan(lastTrace);
    const answer = events
      .filter(([k]) => k === "chunk")
      .map(([, c]) => c.choices?.[0]?.delta?.content ?? "")
      .join("");
    expect(answer).toBe("Acme was founded by Jane Doe [1].");
  });

  it("sends no named events unless asked (plain OpenAI streams stay data-only)", async () => {
    const { post } = await serve(SCRIPT);
    const events = await read(await post(ask({})));
    expect(events.filter(([k]) => k === "trace")).toEqual([]);
    expect(events.length).toBeGreaterThan(2);
  });

  it("takes a per-request strategy, and refuses an unknown one with a 400 naming the param", async () => {
    const { post } = await serve([]);
    const bad = await post({ ...ask({ strategy: "magic" }), stream: false });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.param).toBe("deeprecall.strategy");
  });

  it("lists recent queries in /v1/usage, newest first", async () => {
    const { post, server } = await serve(SCRIPT);
    const res = await post({ ...ask({}), stream: false });
    expect(res.status).toBe(200);
    const usage = (await (await fetch(`${server.url}/v1/usage`)).json()) as Json;
    expect(usage.usage.recent_queries).toHaveLength(1);
    expect(usage.usage.recent_queries[0]).toMatchObject({
      query: "Who founded Acme?",
      error: null,
      cost_usd: null,
    });
    expect(usage.usage.recent_queries[0].total_tokens).toBeGreaterThan(0);
    expect(Date.parse(usage.usage.recent_queries[0].started_at)).not.toBeNaN();
  });
});
