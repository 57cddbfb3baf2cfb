import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../__fixtures__/memory-store.ts";
import { scriptedModel, streamingModel, textStep, toolCallStep } from "../__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "../engine.ts";
import { describeEngineEvent } from "../progress.ts";
import type { DeepRecallResult, EngineEvent } from "../types.ts";
import { sampleResult } from "./__fixtures__/result.ts";
import { GENERATION_KEY_PREFIX } from "./generation.ts";
import { cacheKey, tupleCacheKey } from "./key.ts";
import { InMemoryCache } from "./memory.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";
import type { CacheStore } from "./types.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function setup(answers: string[], cache: CacheStore = new InMemoryCache()) {
  const store = new MemoryStore();
  await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe."] });
  const calls = { count: 0 };
  const model = scriptedModel(
    answers.map((a) => () => {
      calls.count++;
      return `FINAL(${a})`;
    }),
  );
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model,
    cache,
    cacheAnswers: true,
    grounding: false,
  });
  engines.push(engine);
  return { engine, calls, cache, store };
}

const ZERO = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };

describe("answer cache in the engine (cacheAnswers: true)", () => {
  it("a hit through query() spends nothing: usage 0, no model call, no callbacks", async () => {
    const { engine, calls } = await setup(["Jane Doe"]);
    const heard: string[] = [];
    engine.addCallback({
      onQueryStart: () => void heard.push("start"),
      onQueryEnd: () => void heard.push("end"),
    });
    const miss = await engine.query("Who founded Acme?");
    expect(miss.usage.totalTokens).toBeGreaterThan(0);
    const hit = await engine.query("Who founded Acme?");
    expect(calls.count).toBe(1);
    expect(hit).toEqual({ ...miss, usage: ZERO, cached: true });
    expect(miss.cached).toBeUndefined();
    expect(heard).toEqual(["start", "end"]);
  });

  it("a hit through stream() replays the recorded run between query-start and the result, with usage 0", async () => {
    const { engine } = await setup(["Jane Doe"]);
    const miss = await engine.query("Who founded Acme?");
    const events: EngineEvent[] = [];
    for await (const event of engine.stream("Who founded Acme?")) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      "query-start",
      "iteration-start",
      "model-text",
      "iteration-complete",
      "answer-delta",
      "result",
    ]);
    expect(events[2]).toEqual({ type: "model-text", iteration: 1, text: "FINAL(Jane Doe)" });
    expect(events[3]).toMatchObject({
      type: "iteration-complete",
      step: miss.reasoningTrace[0],
      budget: { iterations: 1 },
    });
    expect(events[4]).toEqual({ type: "answer-delta", text: "Jane Doe" });
    const result = (events[5] as Extract<EngineEvent, { type: "result" }>).result;
    expect(result).toEqual({ ...miss, usage: ZERO, cached: true });
  });

  it("a mutated hit never changes what the cache holds", async () => {
    const { engine } = await setup(["Jane Doe"]);
    await engine.query("Who founded Acme?");
    const hit = await engine.query("Who founded Acme?");
    hit.answer = "changed";
    hit.budgetStatus.iterations = 99;
    hit.usage.totalTokens = 99;
    const again = await engine.query("Who founded Acme?");
    expect(again.answer).toBe("Jane Doe");
    expect(again.budgetStatus.iterations).toBe(1);
    expect(again.usage).toEqual(ZERO);
  });

  it("addDocuments and deleteDocuments invalidate cached answers", async () => {
    const { engine, calls } = await setup(["one", "two", "three"]);
    expect((await engine.query("q")).answer).toBe("one");
    expect((await engine.query("q")).answer).toBe("one");
    await engine.addDocuments({ ids: ["new"], documents: ["A new fact."] });
    expect((await engine.query("q")).answer).toBe("two");
    expect((await engine.query("q")).answer).toBe("two");
    await engine.deleteDocuments(["new"]);
    expect((await engine.query("q")).answer).toBe("three");
    expect(calls.count).toBe(3);
  });

  it("a write through one engine invalidates another sharing the cache (as replicas sharing a store do)", async () => {
    const cache = new InMemoryCache();
    const a = await setup(["a1", "a2"], cache);
    const b = await setup(["b1", "b2"], cache);
    expect((await a.engine.query("q")).answer).toBe("a1");
    expect((await b.engine.query("q")).answer).toBe("a1"); // same store name, same key: shared hit
    await a.engine.addDocuments({ documents: ["A new fact."] });
    expect((await b.engine.query("q")).answer).toBe("b1");
  });

  it("noCache and a different option each miss", async () => {
    const { engine, calls } = await setup(["one", "two", "three"]);
    await engine.query("q");
    expect((await engine.query("q", { noCache: true })).answer).toBe("two");
    expect((await engine.query("q", { topK: 2 })).answer).toBe("three");
    expect(calls.count).toBe(3);
  });

  it("validation still runs before the cache is read", async () => {
    const { engine } = await setup(["one"]);
    await engine.query("q");
    await expect(engine.query("q", { topK: 0 })).rejects.toThrow(/topK/);
    await expect(engine.query("q", { budget: { maxTokens: -1 } as never })).rejects.toThrow(/budget/i);
  });
});

async function collect(events: AsyncIterable<EngineEvent>): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const resultOf = (events: EngineEvent[]): DeepRecallResult =>
  (events.at(-1) as Extract<EngineEvent, { type: "result" }>).result;

/** What a person watching the stream sees: the reasoning lines (the "Thought" section) and the answer text. */
const seen = (events: EngineEvent[]) => ({
  reasoning: events.flatMap((e) => describeEngineEvent(e) ?? []),
  answer: events.map((e) => (e.type === "answer-delta" ? e.text : "")).join(""),
});

/** A multi-step run: code, a search, a sub-LLM call, output, then FINAL. */
async function investigation(cacheAnswers: boolean | undefined, cache = new InMemoryCache()) {
  const store = new MemoryStore();
  await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe."] });
  const turn =
    "Let me look.\n```repl\nconst hits = searchDb('Acme founder')\nprint(hits[0].content)\nprint(llmQuery('Who is it?'))\n```";
  const model = scriptedModel([turn, "FINAL(Jane Doe)", turn, "FINAL(Jane Doe, again)"]);
  const subModel = scriptedModel(["Jane Doe.", "Jane Doe, again."], "mock-sub");
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model,
    subModel,
    cache,
    ...(cacheAnswers === undefined ? {} : { cacheAnswers }),
    grounding: false,
  });
  engines.push(engine);
  return { engine, model, subModel, store };
}

describe("a cached answer streams its recorded reasoning", () => {
  it("the same question streamed twice shows the same reasoning and answer; the hit spends nothing", async () => {
    const { engine, model, subModel, store } = await investigation(true);
    const first = await collect(engine.stream("Who founded Acme?"));
    const second = await collect(engine.stream("Who founded Acme?"));
    expect(model.callCount).toBe(2);
    expect(subModel.callCount).toBe(1);
    expect(store.searchCalls).toEqual(["Acme founder"]);
    // Every event between query-start and the result is replayed as recorded.
    expect(second.slice(1, -1)).toEqual(first.slice(1, -1));
    expect(second.map((e) => e.type)).toEqual(first.map((e) => e.type));
    for (const type of ["code", "code-output", "search", "sub-llm", "iteration-complete"]) {
      expect(second.some((e) => e.type === type)).toBe(true);
    }
    expect(seen(second)).toEqual(seen(first));
    // A new run id; the result is the recorded one, marked cached, with usage 0.
    const [start1, start2] = [first[0], second[0]] as Extract<EngineEvent, { type: "query-start" }>[];
    expect(start2!.runId).not.toBe(start1!.runId);
    expect(resultOf(second)).toEqual({ ...resultOf(first), usage: ZERO, cached: true });
    expect(resultOf(first).cached).toBeUndefined();
    expect(resultOf(first).usage.totalTokens).toBeGreaterThan(0);
  });

  it("a run recorded through query() replays through stream(), and the replay holds no shared state", async () => {
    const { engine, model } = await investigation(true);
    const fresh = await engine.query("Who founded Acme?");
    const hit = await collect(engine.stream("Who founded Acme?"));
    expect(model.callCount).toBe(2);
    expect(hit.filter((e) => e.type === "iteration-complete").map((e) => e.step)).toEqual(
      fresh.reasoningTrace,
    );
    // Mutating what one hit yielded changes nothing for the next.
    for (const e of hit) if (e.type === "model-text") e.text = "changed";
    const again = await collect(engine.stream("Who founded Acme?"));
    expect(again.find((e) => e.type === "model-text")).toMatchObject({
      text: expect.stringMatching(/^Let me look/),
    });
  });

  it("the tools strategy's streamed answer is replayed as the same text", async () => {
    const store = new MemoryStore();
    await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe in 1999."] });
    const model = streamingModel([
      toolCallStep("c1", { query: "Acme founder" }),
      textStep("Jane Doe founded Acme in 1999.", 4),
    ]);
    const engine = new DeepRecallEngine({
      vectorStore: store,
      model,
      strategy: "tools",
      cache: new InMemoryCache(),
      cacheAnswers: true,
      grounding: false,
    });
    engines.push(engine);
    const first = await collect(engine.stream("Who founded Acme?"));
    const second = await collect(engine.stream("Who founded Acme?")); // the script has no third step
    expect(seen(second)).toEqual(seen(first));
    expect(seen(second).reasoning.length).toBeGreaterThan(0);
    expect(resultOf(second)).toEqual({ ...resultOf(first), usage: ZERO, cached: true });
    expect(first.filter((e) => e.type === "answer-delta").length).toBeGreaterThan(1);
  });

  it("a stream the consumer stopped reading is not cached", async () => {
    const { engine, model } = await investigation(true);
    for await (const event of engine.stream("Who founded Acme?")) if (event.type === "code") break;
    // Runs again (the script's next reply answers at once), and that complete run is cached.
    const events = await collect(engine.stream("Who founded Acme?"));
    expect(resultOf(events)).toMatchObject({ answer: "Jane Doe" });
    expect(resultOf(events).cached).toBeUndefined();
    expect((await engine.query("Who founded Acme?")).cached).toBe(true);
    expect(model.callCount).toBe(2);
  });
});

describe("without cacheAnswers (the default) a repeated question runs fresh", () => {
  for (const cacheAnswers of [undefined, false]) {
    it(`cacheAnswers: ${String(cacheAnswers)}: the model is asked again and the reasoning streams again`, async () => {
      const cache = new InMemoryCache();
      const { engine, model, subModel, store } = await investigation(cacheAnswers, cache);
      const first = await collect(engine.stream("Who founded Acme?"));
      const second = await collect(engine.stream("Who founded Acme?"));
      expect(model.callCount).toBe(4);
      expect(subModel.callCount).toBe(2);
      expect(resultOf(first).answer).toBe("Jane Doe");
      expect(resultOf(second).answer).toBe("Jane Doe, again");
      expect(resultOf(second).cached).toBeUndefined();
      expect(resultOf(second).usage.totalTokens).toBeGreaterThan(0);
      // The search was served by the search cache the second time: the store saw it once.
      expect(store.searchCalls).toEqual(["Acme founder"]);
      expect(second.find((e) => e.type === "search")).toMatchObject({ search: { cached: true } });
      // The cache holds the search and the store generation, no answer.
      expect(cache.size).toBe(2);
    });
  }
});

describe("the store generation", () => {
  it("another store's traffic in a full InMemoryCache cannot make an answer from before a write current again", async () => {
    const cache = new InMemoryCache({ maxEntries: 3 });
    // Store A: the first run is held until the store has been written to, so its (stale) answer
    // is cached after the write, under the generation it started with.
    const storeA = new MemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const started = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const modelA = scriptedModel(
      [
        async () => {
          entered();
          await gate;
          return "FINAL(before the write)";
        },
        "FINAL(after the write)",
      ],
      "model-a",
    );
    const a = new DeepRecallEngine({
      vectorStore: storeA,
      model: modelA,
      cache,
      cacheAnswers: true,
      grounding: false,
    });
    engines.push(a);
    const running = a.query("q");
    await started;
    await a.addDocuments({ ids: ["new"], documents: ["A new fact."] });
    release();
    expect((await running).answer).toBe("before the write");
    // Store B (another collection served from the same cache) fills the cache.
    const storeB = Object.assign(new MemoryStore(), { name: "other" });
    const modelB = scriptedModel(["FINAL(B one)", "FINAL(B two)"], "model-b");
    const b = new DeepRecallEngine({
      vectorStore: storeB,
      model: modelB,
      cache,
      cacheAnswers: true,
      grounding: false,
    });
    engines.push(b);
    const generationOfA = await cache.get(`${GENERATION_KEY_PREFIX}${storeA.name}`);
    for (const q of ["x", "y"]) await b.query(q);
    expect(modelB.callCount).toBe(2);
    // A's generation was never evicted to make room.
    expect(await cache.get(`${GENERATION_KEY_PREFIX}${storeA.name}`)).toBe(generationOfA);
    expect((await a.query("q")).answer).toBe("after the write");
  });

  it("InMemoryCache keeps generation keys outside its LRU bound; they still expire, delete and clear", async () => {
    let now = 0;
    const cache = new InMemoryCache({ maxEntries: 1, now: () => now });
    await cache.set(`${GENERATION_KEY_PREFIX}a`, "g1", 0);
    await cache.set(`${GENERATION_KEY_PREFIX}b`, "g2", 10);
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, i);
    expect(await cache.get("k0")).toBeUndefined();
    expect(await cache.get("k4")).toBe(4);
    expect(await cache.get(`${GENERATION_KEY_PREFIX}a`)).toBe("g1");
    expect(cache.size).toBe(3);
    now = 10_000;
    expect(await cache.get(`${GENERATION_KEY_PREFIX}b`)).toBeUndefined();
    await cache.delete(`${GENERATION_KEY_PREFIX}a`);
    expect(await cache.get(`${GENERATION_KEY_PREFIX}a`)).toBeUndefined();
    await cache.set(`${GENERATION_KEY_PREFIX}a`, "g3", 0);
    await cache.clear();
    expect(await cache.get(`${GENERATION_KEY_PREFIX}a`)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("a cache that lost it (evicted, expired) starts a new one, and nothing cached before matches it", async () => {
    const cache = new InMemoryCache();
    const { engine, calls } = await setup(["one", "two", "three"], cache);
    const generationKey = `${GENERATION_KEY_PREFIX}${engine.vectorStore.name}`;
    expect((await engine.query("q")).answer).toBe("one");
    const before = await cache.get(generationKey);
    await engine.addDocuments({ ids: ["new"], documents: ["A new fact."] });
    await cache.delete(generationKey); // as a Redis eviction or an expired SQLite row would
    expect((await engine.query("q")).answer).toBe("two");
    expect((await engine.query("q")).answer).toBe("two");
    expect(await cache.get(generationKey)).not.toEqual(before);
    expect(calls.count).toBe(2);
  });

  it("when the cache cannot be read, nothing is served from it", async () => {
    const inner = new InMemoryCache();
    let broken = false;
    const cache = {
      get: <T>(key: string) => (broken ? Promise.reject(new Error("down")) : inner.get<T>(key)),
      set: (key: string, value: unknown, ttl?: number) => inner.set(key, value, ttl),
      delete: (key: string) => inner.delete(key),
      clear: () => inner.clear(),
    };
    const { engine, calls } = await setup(["one", "two"], cache);
    await engine.query("q");
    broken = true;
    expect((await engine.query("q")).answer).toBe("two");
    expect(calls.count).toBe(2);
  });

  it("concurrent first queries agree on one new generation", async () => {
    const inner = new InMemoryCache();
    const generations: unknown[] = [];
    const cache = {
      get: <T>(key: string) => inner.get<T>(key),
      set: (key: string, value: unknown, ttl?: number) => {
        if (key.startsWith(GENERATION_KEY_PREFIX)) generations.push(value);
        return inner.set(key, value, ttl);
      },
      delete: (key: string) => inner.delete(key),
      clear: () => inner.clear(),
    };
    const { engine } = await setup(["a", "b", "c"], cache);
    await Promise.all(["q1", "q2", "q3"].map((q) => engine.query(q)));
    expect(generations).toHaveLength(1);
  });
});

describe("cache internals kept equivalent", () => {
  it("cacheKey is the SHA-256 hex of the canonical JSON, as before", () => {
    const parts = { query: "q", topK: 5, filters: { b: 1, a: [2, 3] } };
    const canonical = JSON.stringify({
      o: [
        [
          "filters",
          {
            o: [
              ["a", [2, 3]],
              ["b", 1],
            ],
          },
        ],
        ["query", "q"],
        ["topK", 5],
      ],
    });
    expect(cacheKey(parts)).toBe(createHash("sha256").update(canonical).digest("hex"));
  });

  it("tupleCacheKey: position matters, object key order does not, and it never equals a cacheKey", () => {
    expect(tupleCacheKey(["query", "a", "b"])).not.toBe(tupleCacheKey(["query", "b", "a"]));
    expect(tupleCacheKey(["query", "a,b"])).not.toBe(tupleCacheKey(["query", "a", "b"]));
    expect(tupleCacheKey(["query", null])).not.toBe(tupleCacheKey(["query", "null"]));
    expect(tupleCacheKey(["query", Number.NaN])).not.toBe(tupleCacheKey(["query", null]));
    expect(tupleCacheKey(["q", { a: 1, b: { c: 2, d: 3 } }])).toBe(
      tupleCacheKey(["q", { b: { d: 3, c: 2 }, a: 1 }]),
    );
    expect(tupleCacheKey(["q", undefined])).toBe(tupleCacheKey(["q", null]));
    expect(tupleCacheKey([])).not.toBe(cacheKey({}));
  });

  it("every query option that changes an answer changes its cache key", async () => {
    const { engine, calls } = await setup(Array.from({ length: 10 }, (_, i) => `a${i}`));
    await engine.query("q");
    const variants = [
      { instructions: "Be brief." },
      { history: [{ role: "user" as const, content: "earlier" }] },
      { temperature: 0.5 },
      { maxOutputTokens: 100 },
      { filters: { year: 1999 } },
      { budget: { maxTokens: 5000 } },
      { grounding: true },
      { contextPrefix: "ctx" },
    ];
    for (const v of variants) await engine.query("q", v);
    expect(calls.count).toBe(1 + variants.length);
    for (const v of variants) await engine.query("q", v); // now all hits
    expect(calls.count).toBe(1 + variants.length);
  });

  it("deserializeValue gives back equal values with and without tags", () => {
    const values: unknown[] = [
      sampleResult(),
      { plain: [1, "two", { three: null }] },
      { $deeprecall$t: "user data", nested: { $deeprecall$t$: 1 } },
      { text: "mentions $deeprecall$t in a string" },
      JSON.parse('{"__proto__": {"polluted": true}, "x": 1}'),
      [undefined, Number.NaN, new Date(0), 10n],
    ];
    for (const value of values) expect(deserializeValue(serializeValue(value))).toStrictEqual(value);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("InMemoryCache gives plain values back identical, and -0 as JSON would", async () => {
    const cache = new InMemoryCache();
    for (const value of ["s", 0, 1.5, -2, true, false, null, -0, Number.NaN, Number.POSITIVE_INFINITY]) {
      await cache.set("k", value);
      expect(await cache.get("k")).toStrictEqual(deserializeValue(serializeValue(value)));
    }
    expect(Object.is(await cache.get("k"), Number.POSITIVE_INFINITY)).toBe(true);
    await cache.set("k", -0);
    expect(Object.is(await cache.get("k"), 0)).toBe(true);
  });
});
