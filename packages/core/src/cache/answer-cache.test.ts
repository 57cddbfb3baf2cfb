import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../__fixtures__/memory-store.ts";
import { scriptedModel } from "../__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "../engine.ts";
import type { EngineEvent } from "../types.ts";
import { sampleResult } from "./__fixtures__/result.ts";
import { cacheKey, tupleCacheKey } from "./key.ts";
import { InMemoryCache } from "./memory.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function setup(answers: string[], cache = new InMemoryCache()) {
  const store = new MemoryStore();
  await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe."] });
  const calls = { count: 0 };
  const model = scriptedModel(
    answers.map((a) => () => {
      calls.count++;
      return `FINAL(${a})`;
    }),
  );
  const engine = new DeepRecallEngine({ vectorStore: store, model, cache, cacheAnswers: true, grounding: false });
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
    expect(events[3]).toEqual({ type: "iteration-complete", step: miss.reasoningTrace[0] });
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
