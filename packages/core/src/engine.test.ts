import { APICallError } from "ai";
import { MockRerankingModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel, streamingModel, textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { InMemoryCache } from "./cache/index.ts";
import { DeepRecallEngine } from "./engine.ts";
import { AbortError, ConfigError, LLMProviderError, VectorStoreError } from "./errors.ts";
import { createSandboxPool } from "./sandbox/index.ts";
import type { EngineEvent } from "./types.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function corpus(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.addDocuments({
    ids: ["acme", "jane", "weather"],
    documents: [
      "Acme Corporation was founded by Jane Doe in 1999.",
      "Jane Doe was born in Lyon, France, and studied physics.",
      "The weather in Paris is mild in spring.",
    ],
    metadatas: [
      { source: "acme.txt", year: 1999 },
      { source: "people.txt", year: 2001 },
      { source: "weather.txt", year: 2020 },
    ],
  });
  return store;
}

/** An engine for these tests; the grounding floor is off unless a test turns it on (see grounding.test.ts). */
function engine(options: ConstructorParameters<typeof DeepRecallEngine>[0]): DeepRecallEngine {
  const e = new DeepRecallEngine({ grounding: false, ...options });
  engines.push(e);
  return e;
}

const promptText = (call: { prompt: Array<{ role: string; content: unknown }> }) =>
  JSON.stringify(call.prompt);

describe("DeepRecallEngine (repl strategy)", () => {
  it("runs a multi-hop investigation: search, read, search again, FINAL", async () => {
    const store = await corpus();
    const model = scriptedModel([
      "Let me find the founder.\n```repl\nconst hits = searchDb('Acme founder')\nprint(hits[0].content)\n```",
      "The founder is Jane Doe. Now her birthplace.\n```repl\nconst hits = searchDb('Jane Doe born')\nprint(hits[0].id, hits[0].content)\n```",
      "FINAL(Acme's founder, Jane Doe, was born in Lyon.)",
    ]);
    const result = await engine({ vectorStore: store, model }).query("Where was the founder of Acme born?");

    expect(result.answer).toBe("Acme's founder, Jane Doe, was born in Lyon.");
    expect(result.error).toBeUndefined();
    expect(result.sources.map((s) => s.id)).toContain("acme");
    expect(result.sources.map((s) => s.id)).toContain("jane");
    expect(result.reasoningTrace).toHaveLength(3);
    expect(result.reasoningTrace[0]!.searches.map((s) => s.query)).toEqual(["Acme founder"]);
    expect(result.reasoningTrace[1]!.searches.map((s) => s.query)).toEqual(["Jane Doe born"]);
    expect(result.reasoningTrace[1]!.searches[0]!.hits).toBeGreaterThan(0);
    expect(result.reasoningTrace[0]!.output).toContain("founded by Jane Doe");
    expect(result.reasoningTrace[2]!.final).toBe(true);
    // The redeclared `const hits` in the second block ran, and the model saw its output.
    expect(promptText(model.doGenerateCalls[2]!)).toContain("born in Lyon");
    expect(result.usage).toMatchObject({ inputTokens: 30, outputTokens: 15, totalTokens: 45, calls: 3 });
    expect(result.usage.byModel["mock-root"]).toMatchObject({ calls: 3, totalTokens: 45 });
    expect(result.budgetStatus).toMatchObject({ iterations: 3, searchCalls: 2, tokens: 45, exceeded: false });
    expect(result.confidence).toBeGreaterThan(0);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect(store.searchCalls).toEqual(["Acme founder", "Jane Doe born"]);
  });

  it("answers with FINAL_VAR(name) from a sandbox variable", async () => {
    const model = scriptedModel([
      "```repl\nconst hits = searchDb('Acme founded')\nconst answer = 'Founded in ' + hits[0].metadata.year\n```\nFINAL_VAR(answer)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model }).query("When was Acme founded?");
    expect(result.answer).toBe("Founded in 1999");
    expect(model.callCount).toBe(1);
  });

  it("ends when code calls FINAL(x)", async () => {
    const model = scriptedModel([
      "```js\nconst n = searchDb('Paris weather').length\nFINAL('found ' + n)\nprint('not reached')\n```",
    ]);
    const result = await engine({ vectorStore: await corpus(), model }).query("weather?");
    expect(result.answer).toBe("found 1");
    expect(result.reasoningTrace[0]!.output).not.toContain("not reached");
  });

  it("forces a final answer after maxIterations", async () => {
    const model = scriptedModel([
      "```repl\nprint(searchDb('Acme').length)\n```",
      "```repl\nprint('still looking')\n```",
      "FINAL(Best effort: Jane Doe)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model, maxIterations: 2 }).query(
      "Who founded Acme?",
    );
    expect(result.answer).toBe("Best effort: Jane Doe");
    // Running out of turns is a limit like any other: said in `error` and the budget status.
    expect(result.error).toBe("Budget exceeded: maxIterations (limit 2)");
    expect(result.budgetStatus).toMatchObject({ exceeded: true, exceededLimit: "maxIterations" });
    expect(result.reasoningTrace).toHaveLength(3);
    expect(promptText(model.doGenerateCalls[2]!)).toContain("Answer the question now");
  });

  it("nudges when the model writes Python instead of JavaScript", async () => {
    const model = scriptedModel([
      "```python\nfor h in search_db('Acme'):\n    print(h)\n```",
      "```repl\nfor h in searchDb('Acme'):\n    print(h)\n```",
      "FINAL(ok)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model }).query("Acme?");
    expect(result.answer).toBe("ok");
    expect(result.reasoningTrace[0]!.output).toMatch(/JavaScript/);
    expect(result.reasoningTrace[1]!.output).toMatch(/JavaScript|SyntaxError/);
  });

  it("keeps the engine alive when model code throws or probes the host", async () => {
    const model = scriptedModel([
      "```repl\nprint(typeof process, typeof require)\nprocess.exit(1)\n```",
      "```repl\nthrow new Error('model bug')\n```",
      "FINAL(survived)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model }).query("anything");
    expect(result.answer).toBe("survived");
    expect(result.reasoningTrace[0]!.output).toContain("undefined undefined");
    expect(result.reasoningTrace[0]!.output).toMatch(/Error/);
    expect(result.reasoningTrace[1]!.output).toContain("model bug");
  });

  it("runs a child investigation for llmQuery when maxDepth > 1", async () => {
    const model = scriptedModel([
      "```repl\nconst sub = llmQuery('Who founded Acme?')\nFINAL('Child said: ' + sub)\n```",
      "```repl\nprint(searchDb('Acme founded')[0].content)\n```",
      "FINAL(Jane Doe)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model, maxDepth: 2 }).query("Founder?");
    expect(result.answer).toBe("Child said: Jane Doe");
    const step = result.reasoningTrace[0]!;
    expect(step.subLLMCalls).toEqual([
      expect.objectContaining({ prompt: "Who founded Acme?", response: "Jane Doe", depth: 2 }),
    ]);
    expect(step.searches.map((s) => s.query)).toEqual(["Acme founded"]);
    expect(result.usage.calls).toBe(3);
  });

  it("sums sub-model usage separately by model", async () => {
    const model = scriptedModel(["```repl\nconst s = llmQueryBatched(['a', 'b'])\nFINAL(s.join('+'))\n```"]);
    const subModel = scriptedModel(["A", "B"], "mock-sub");
    const result = await engine({ vectorStore: await corpus(), model, subModel }).query("q");
    expect(result.answer).toBe("A+B");
    expect(result.usage.byModel["mock-sub"]).toMatchObject({ calls: 2, totalTokens: 30 });
    expect(result.usage.calls).toBe(3);
  });

  it("streams typed events as the run happens", async () => {
    const model = scriptedModel(["```repl\nprint(searchDb('Acme').length)\n```", "FINAL(done)"]);
    const events: EngineEvent[] = [];
    for await (const event of engine({ vectorStore: await corpus(), model }).stream("Acme?"))
      events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("query-start");
    expect(types).toEqual(
      expect.arrayContaining([
        "iteration-start",
        "model-text",
        "code",
        "search",
        "code-output",
        "iteration-complete",
        "answer-delta",
      ]),
    );
    expect(types.indexOf("search")).toBeLessThan(types.indexOf("code-output"));
    expect(types.at(-1)).toBe("result");
    const result = events.at(-1) as Extract<EngineEvent, { type: "result" }>;
    expect(result.result.answer).toBe("done");
  });
});

describe("budgets", () => {
  it("maxSearchCalls is enforced inside the sandbox and gives a partial answer", async () => {
    const model = scriptedModel([
      "```repl\nprint(searchDb('Acme').length)\ntry { searchDb('Jane') } catch (e) { print('refused: ' + e.message) }\n```",
      "FINAL(partial: Jane Doe founded Acme)",
    ]);
    const store = await corpus();
    const result = await engine({ vectorStore: store, model, budget: { maxSearchCalls: 1 } }).query("q");
    expect(store.searchCalls).toEqual(["Acme"]);
    expect(result.reasoningTrace[0]!.output).toContain("refused: Search budget exhausted");
    expect(result.answer).toBe("partial: Jane Doe founded Acme");
    expect(result.error).toMatch(/maxSearchCalls/);
    expect(result.budgetStatus).toMatchObject({
      exceeded: true,
      exceededLimit: "maxSearchCalls",
      searchCalls: 1,
    });
  });

  it("maxTokens stops the run and synthesises an answer from sources without another call", async () => {
    const model = scriptedModel([
      "```repl\nprint(searchDb('Acme founded').length)\n```",
      "```repl\nprint(1)\n```",
      "FINAL(never)",
    ]);
    const result = await engine({ vectorStore: await corpus(), model, budget: { maxTokens: 20 } }).query("q");
    expect(model.callCount).toBe(2);
    expect(result.error).toMatch(/maxTokens/);
    expect(result.answer).toContain("[acme]");
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("maxCostUsd uses the pricing table", async () => {
    const model = scriptedModel(["```repl\nprint(1)\n```", "```repl\nprint(2)\n```", "FINAL(never)"]);
    const result = await engine({
      vectorStore: await corpus(),
      model,
      pricing: { "mock-root": { inputPerMillion: 100_000, outputPerMillion: 0 } },
      budget: { maxCostUsd: 1.5 },
    }).query("q");
    expect(model.callCount).toBe(2);
    expect(result.usage.costUsd).toBeCloseTo(2);
    expect(result.error).toMatch(/maxCostUsd/);
  });

  it("maxTimeSeconds cuts a slow search short", async () => {
    const store = await corpus();
    store.searchDelayMs = 60_000;
    // A warm pool, so worker start-up on a loaded machine does not eat the time budget: a
    // session's worker starts on its first block, so the warming session runs one, and hands the
    // worker back when disposed. One worker at most: no spare starts beside the query.
    const pool = createSandboxPool({ workers: 1, maxWorkers: 1 });
    try {
      const warm = await pool.createSession({
        searchDb: async () => [],
        llmQuery: async () => "",
        llmQueryBatched: async () => [],
      });
      expect((await warm.run("1")).error).toBeUndefined();
      await warm.dispose();
      expect(pool.stats()).toMatchObject({ workersStarted: 1, workersIdle: 1 });
      const model = scriptedModel(["```repl\nprint(searchDb('Acme').length)\n```", "FINAL(never)"]);
      const result = await engine({
        vectorStore: store,
        model,
        sandbox: pool,
        budget: { maxTimeSeconds: 2 },
      }).query("q");
      expect(result.error).toMatch(/maxTimeSeconds/);
      expect(result.budgetStatus.exceededLimit).toBe("maxTimeSeconds");
      expect(store.searchCalls).toEqual(["Acme"]);
      expect(model.callCount).toBe(1);
      // The query's block ran on the warm worker: no thread start inside the budget.
      expect(pool.stats().workersStarted).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("budget maxIterations forces the final turn and reports the limit", async () => {
    const model = scriptedModel(["```repl\nprint(1)\n```", "FINAL(after one turn)"]);
    const result = await engine({ vectorStore: await corpus(), model, budget: { maxIterations: 1 } }).query(
      "q",
    );
    expect(result.answer).toBe("after one turn");
    expect(result.error).toMatch(/maxIterations/);
  });

  it("the forced final turn's reply streams as model-text under its step's number", async () => {
    const model = scriptedModel(["```repl\nprint(1)\n```", "FINAL(after one turn)"]);
    const events: EngineEvent[] = [];
    for await (const ev of engine({
      vectorStore: await corpus(),
      model,
      budget: { maxIterations: 1 },
    }).stream("q"))
      events.push(ev);
    const texts = events.filter((e) => e.type === "model-text");
    expect(texts.map((e) => e.type === "model-text" && [e.iteration, e.text])).toEqual([
      [1, "```repl\nprint(1)\n```"],
      [2, "FINAL(after one turn)"],
    ]);
    const last = events.filter((e) => e.type === "iteration-complete").at(-1);
    expect(last?.type === "iteration-complete" && last.step).toMatchObject({ iteration: 2, final: true });
  });

  it("a time budget beyond what a timer can hold (> 24.8 days) is no limit, not an instant stop", async () => {
    const model = scriptedModel([
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return "FINAL(in time)";
      },
    ]);
    const result = await engine({ vectorStore: await corpus(), model }).query("q", {
      budget: { maxTimeSeconds: 4e16 },
    });
    expect(result.answer).toBe("in time");
    expect(result.error).toBeUndefined();
    expect(result.budgetStatus.exceeded).toBe(false);
  });

  it("reports the iteration limit the loop obeys: the engine's maxIterations unless the query sets a lower one", async () => {
    const e = engine({
      vectorStore: await corpus(),
      model: scriptedModel(["FINAL(a)", "FINAL(b)"]),
      maxIterations: 7,
    });
    expect((await e.query("q")).budgetStatus.limits).toEqual({ maxIterations: 7 });
    expect((await e.query("q", { budget: { maxIterations: 3 } })).budgetStatus.limits).toEqual({
      maxIterations: 3,
    });
  });

  it("takes cost from provider metadata when there is no pricing entry", async () => {
    const model = scriptedModel([{ text: "FINAL(x)", providerMetadata: { gateway: { cost: "0.0025" } } }]);
    const result = await engine({ vectorStore: await corpus(), model }).query("q");
    expect(result.usage.costUsd).toBeCloseTo(0.0025);
  });
});

describe("failures, abort, retry", () => {
  it("aborts mid-run: the in-flight search is cancelled and query() rejects with AbortError", async () => {
    const store = await corpus();
    store.searchDelayMs = 60_000;
    const model = scriptedModel(["```repl\nprint(searchDb('Acme').length)\n```", "FINAL(never)"]);
    const controller = new AbortController();
    const e = engine({ vectorStore: store, model });
    const pending = e.query("q", { signal: controller.signal });
    while (store.searchCalls.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(model.callCount).toBe(1);
  });

  it("retries a 429 and succeeds", async () => {
    const rateLimited = new APICallError({
      message: "rate limited",
      url: "https://x",
      requestBodyValues: {},
      statusCode: 429,
      isRetryable: true,
    });
    const model = scriptedModel([{ error: rateLimited }, "FINAL(after retry)"]);
    const result = await engine({
      vectorStore: await corpus(),
      model,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    }).query("q");
    expect(result.answer).toBe("after retry");
    expect(model.callCount).toBe(2);
  });

  it("does not retry a 400 and raises LLMProviderError", async () => {
    const bad = new APICallError({
      message: "bad request",
      url: "https://x",
      requestBodyValues: {},
      statusCode: 400,
      isRetryable: false,
    });
    const model = scriptedModel([{ error: bad }, "FINAL(never)"]);
    const pending = engine({ vectorStore: await corpus(), model, retry: { baseDelayMs: 1 } }).query("q");
    await expect(pending).rejects.toBeInstanceOf(LLMProviderError);
    expect(model.callCount).toBe(1);
  });

  it("rejects bad options with a ConfigError naming the field and allowed values", () => {
    const model = scriptedModel([]);
    const store = new MemoryStore();
    expect(() => new DeepRecallEngine({ vectorStore: store, model, strategy: "magic" as "repl" })).toThrow(
      ConfigError,
    );
    expect(() => new DeepRecallEngine({ vectorStore: store, model, strategy: "magic" as "repl" })).toThrow(
      /strategy.*"repl".*"tools"/,
    );
    expect(() => new DeepRecallEngine({ vectorStore: store, model, maxIterations: 0 })).toThrow(
      /maxIterations/,
    );
    expect(() => new DeepRecallEngine({ vectorStore: {} as MemoryStore, model })).toThrow(/vectorStore/);
    expect(() => new DeepRecallEngine({ vectorStore: store, model, budget: { maxTokens: -1 } })).toThrow(
      /budget\.maxTokens/,
    );
  });

  it("wraps a third-party store's raw write errors in VectorStoreError naming the store", async () => {
    const store = await corpus();
    store.addDocuments = async () => {
      throw new Error("disk on fire");
    };
    store.delete = async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    };
    const e = engine({ vectorStore: store, model: scriptedModel([]) });
    const add = await e.addDocuments({ documents: ["x"] }).catch((err: unknown) => err);
    expect(add).toBeInstanceOf(VectorStoreError);
    expect(add).toMatchObject({ store: "memory", retryable: false });
    expect((add as Error).message).toMatch(/Adding documents failed in the memory store: disk on fire/);
    const del = await e.deleteDocuments(["acme"]).catch((err: unknown) => err);
    expect(del).toMatchObject({ store: "memory", retryable: true });
  });

  it("rejects an empty query", async () => {
    const e = engine({ vectorStore: new MemoryStore(), model: scriptedModel([]) });
    await expect(e.query("  ")).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("cache and batch", () => {
  it("by default only searches are cached: the same question twice runs twice", async () => {
    const turn = "```repl\nprint(searchDb('Acme').length)\n```";
    const model = scriptedModel([turn, "FINAL(one)", turn, "FINAL(two)"]);
    const e = engine({ vectorStore: await corpus(), model, cache: new InMemoryCache() });
    const first = await e.query("Who founded Acme?");
    const second = await e.query("Who founded Acme?");
    expect(model.callCount).toBe(4);
    expect([first.answer, second.answer]).toEqual(["one", "two"]);
    expect(second.cached).toBeUndefined();
    expect(second.usage.totalTokens).toBeGreaterThan(0);
    // The search itself came from the search cache the second time.
    expect(first.reasoningTrace[0]!.searches[0]!.cached).toBeUndefined();
    expect(second.reasoningTrace[0]!.searches[0]!.cached).toBe(true);
  });

  it("with cacheAnswers, a cached result equals the fresh one, spends nothing and costs no model call", async () => {
    const model = scriptedModel(["```repl\nprint(searchDb('Acme').length)\n```", "FINAL(Jane Doe)"]);
    const e = engine({ vectorStore: await corpus(), model, cache: new InMemoryCache(), cacheAnswers: true });
    const fresh = await e.query("Who founded Acme?");
    const cached = await e.query("Who founded Acme?");
    // Everything the person sees is the same; usage counts only what this call spent: nothing.
    expect(fresh.cached).toBeUndefined();
    expect(cached).toEqual({
      ...fresh,
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} },
      cached: true,
    });
    expect(model.callCount).toBe(2);
  });

  it("a write to the store invalidates cached answers", async () => {
    const model = scriptedModel(["FINAL(one)", "FINAL(two)"]);
    const e = engine({ vectorStore: await corpus(), model, cache: new InMemoryCache(), cacheAnswers: true });
    expect((await e.query("q")).answer).toBe("one");
    expect((await e.query("q")).answer).toBe("one");
    await e.addDocuments({ documents: ["new fact"] });
    expect((await e.query("q")).answer).toBe("two");
  });

  it("rejects a cacheAnswers that is not a boolean", () => {
    expect(
      () =>
        new DeepRecallEngine({
          vectorStore: new MemoryStore(),
          model: scriptedModel([]),
          cacheAnswers: "yes" as never,
        }),
    ).toThrow(/cacheAnswers/);
  });

  it("queryBatch keeps input order and isolates a failure", async () => {
    const bad = new APICallError({
      message: "bad",
      url: "https://x",
      requestBodyValues: {},
      statusCode: 400,
      isRetryable: false,
    });
    const model = scriptedModel(
      Array.from({ length: 3 }, () => (call: { prompt: unknown }) => {
        const text = JSON.stringify(call.prompt);
        const q = /Question: (\w+)/.exec(text)?.[1];
        if (q === "boom") throw bad;
        return `FINAL(answer to ${q})`;
      }),
    );
    const results = await engine({ vectorStore: await corpus(), model }).queryBatch(
      ["alpha", "boom", "gamma"],
      { maxConcurrency: 2 },
    );
    expect(results.map((r) => r.query)).toEqual(["alpha", "boom", "gamma"]);
    expect(results[0]!.answer).toBe("answer to alpha");
    expect(results[1]!.error).toBeTruthy();
    expect(results[2]!.answer).toBe("answer to gamma");
  });
});

describe("queryBatch concurrency", () => {
  it("runs maxConcurrency queries at a time, never more", async () => {
    let inFlight = 0;
    let peak = 0;
    const model = scriptedModel(
      Array.from({ length: 6 }, () => async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
        return "FINAL(done)";
      }),
    );
    const results = await engine({ vectorStore: await corpus(), model }).queryBatch(
      ["a", "b", "c", "d", "e", "f"],
      { maxConcurrency: 3 },
    );
    expect(results.every((r) => r.answer === "done")).toBe(true);
    expect(peak).toBe(3);
  });
});

describe("tools strategy", () => {
  it("searches with native tool calls and streams the final answer token by token", async () => {
    const model = streamingModel([
      toolCallStep("c1", { query: "Acme founder" }),
      textStep("Jane Doe founded Acme in 1999.", 4),
    ]);
    const store = await corpus();
    const events: EngineEvent[] = [];
    for await (const ev of engine({ vectorStore: store, model, strategy: "tools" }).stream(
      "Who founded Acme?",
    ))
      events.push(ev);
    const deltas = events.filter((e) => e.type === "answer-delta");
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    const result = (events.at(-1) as Extract<EngineEvent, { type: "result" }>).result;
    expect(result.answer).toBe("Jane Doe founded Acme in 1999.");
    expect(store.searchCalls).toEqual(["Acme founder"]);
    expect(result.sources[0]!.id).toBe("acme");
    expect(result.reasoningTrace).toHaveLength(2);
    expect(result.usage.calls).toBe(2);
  });
});

describe("per-query strategy", () => {
  it("runs the tools strategy for one query of a repl engine, and rejects unknown strategies", async () => {
    const model = streamingModel([
      toolCallStep("c1", { query: "Acme founder" }),
      textStep("Jane Doe founded Acme in 1999.", 2),
    ]);
    const store = await corpus();
    const e = engine({ vectorStore: store, model });
    const result = await e.query("Who founded Acme?", { strategy: "tools" });
    expect(result.answer).toBe("Jane Doe founded Acme in 1999.");
    // Only the tools loop searches through a native tool call; the repl loop would have run code.
    expect(store.searchCalls).toEqual(["Acme founder"]);
    await expect(e.query("x", { strategy: "magic" as "repl" })).rejects.toThrow(ConfigError);
  });

  it("passes a query's temperature, topP and seed to the root model's turns, in both strategies", async () => {
    for (const strategy of ["repl", "tools"] as const) {
      const model = scriptedModel(["FINAL(Jane Doe.)"]);
      const e = engine({ vectorStore: await corpus(), model, strategy });
      await e.query("Who founded Acme?", { temperature: 0.3, topP: 0.4, seed: 11 });
      expect(model.doGenerateCalls[0], strategy).toMatchObject({ temperature: 0.3, topP: 0.4, seed: 11 });
    }
  });

  it("records hit scores with each search and the budget status with each finished step", async () => {
    const model = scriptedModel([
      '```repl\nconst r = searchDb("Jane Doe Acme", 2);\nprint(r.length);\n```',
      "FINAL(Jane Doe.)",
    ]);
    const events: EngineEvent[] = [];
    const e = engine({ vectorStore: await corpus(), model, budget: { maxIterations: 5 } });
    for await (const ev of e.stream("Who founded Acme?")) events.push(ev);
    const search = events.find((ev) => ev.type === "search");
    expect(search?.type === "search" && search.search.scores).toHaveLength(2);
    if (search?.type === "search") {
      expect(search.search.scores!.every((s) => typeof s === "number")).toBe(true);
      expect(search.search.scores![0]).toBeGreaterThanOrEqual(search.search.scores![1]!);
    }
    const completed = events.filter((ev) => ev.type === "iteration-complete");
    expect(completed.length).toBeGreaterThanOrEqual(1);
    const first = completed[0]!;
    expect(first.type === "iteration-complete" && first.budget).toMatchObject({
      iterations: 1,
      searchCalls: 1,
      limits: { maxIterations: 5 },
    });
  });
});

describe("reranking", () => {
  it("fetches more candidates, reranks them with an AI SDK reranking model and trims to topK", async () => {
    const store = await corpus();
    const calls: Array<{ documents: unknown; topN?: number }> = [];
    const reranker = new MockRerankingModelV4({
      doRerank: async (options) => {
        calls.push({
          documents: options.documents,
          ...(options.topN !== undefined ? { topN: options.topN } : {}),
        });
        // Prefer the document about Lyon whatever the store said.
        const docs = (options.documents as { type: "text"; values: string[] }).values;
        const ranking = docs
          .map((text, index) => ({ index, relevanceScore: text.includes("Lyon") ? 0.97 : 0.1 }))
          .sort((a, b) => b.relevanceScore - a.relevanceScore);
        return { ranking };
      },
    });
    const e = engine({ vectorStore: store, model: scriptedModel([]), reranker, topK: 1 });
    const hits = await e.search("Jane Doe Acme");
    expect(hits).toHaveLength(1);
    expect(hits[0]!.id).toBe("jane");
    expect(hits[0]!.score).toBeCloseTo(0.97);
    expect(hits[0]!.metadata.retrievalScore).toBeTypeOf("number");
    expect((calls[0]!.documents as { values: string[] }).values.length).toBeGreaterThan(1);
  });

  it("accepts a plain function", async () => {
    const e = engine({
      vectorStore: await corpus(),
      model: scriptedModel([]),
      reranker: async (_q, results) => [...results].reverse(),
    });
    const hits = await e.search("Jane Doe Acme", { topK: 2 });
    expect(hits).toHaveLength(2);
    expect(hits[0]!.score).toBeLessThanOrEqual(hits[1]!.score);
  });
});

describe("compaction", () => {
  it("summarises older turns into the sandbox variable `history` once the prompt grows past the threshold", async () => {
    const big = "```repl\nprint('x'.repeat(3000))\n```";
    const model = scriptedModel([
      big,
      big,
      big,
      "```repl\nprint('history says: ' + history)\n```",
      "FINAL(done)",
    ]);
    const subModel = scriptedModel(Array(5).fill("SUMMARY: searched nothing, printed x"), "mock-sub");
    const result = await engine({
      vectorStore: await corpus(),
      model,
      subModel,
      compactionThresholdTokens: 1000,
    }).query("q");
    expect(result.answer).toBe("done");
    expect(subModel.callCount).toBeGreaterThanOrEqual(1);
    expect(result.reasoningTrace[3]!.output).toContain("history says: SUMMARY: searched nothing");
    // After compaction the model no longer receives every old output verbatim.
    const lastPrompt = promptText(model.doGenerateCalls.at(-1)!);
    expect(lastPrompt).toContain("Summary of the earlier turns");
    expect(lastPrompt.length).toBeLessThan(3 * 3000);
  });
});
