import { describe, expect, it } from "vitest";
import { cacheKey, tupleCacheKey } from "./key.ts";

describe("cacheKey", () => {
  const base = {
    query: "who founded it?",
    model: "gpt-4o-mini",
    topK: 5,
    filters: { $and: [{ year: { $gte: 1800, $lt: 1900 } }, { tag: { $in: ["a", "b"] } }] },
  };

  it("is a sha256 hex digest", () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps its exact digests: answers in persistent caches (SQLite, Redis) stay reachable across versions", () => {
    // Digests from the key code as released; a change here needs the engine's version tag bumped.
    const tuple = [
      "query/v4",
      "memory",
      7,
      { maxTokens: 100, maxIterations: 3, nested: { z: 1, a: [1, { y: 2, b: undefined }] }, f: () => 1 },
      null,
      "Who?",
      5,
      true,
    ];
    expect(tupleCacheKey(tuple)).toBe("217aa62aab2f8aab5763bb3196b2f2a36ac0457cdbff2480dfaf8a13310d257e");
    expect(cacheKey({ b: 1, a: { d: [1, 2], c: "x" }, "~": 1, A: 2, é: 3 })).toBe(
      "5c15e2fde9798e9c0e693de7ac60428c4806d76746ffa7db22b2f63ff7484587",
    );
  });

  it("ignores key order at every depth", () => {
    const reordered = {
      filters: { $and: [{ year: { $lt: 1900, $gte: 1800 } }, { tag: { $in: ["a", "b"] } }] },
      topK: 5,
      model: "gpt-4o-mini",
      query: "who founded it?",
    };
    expect(cacheKey(reordered)).toBe(cacheKey(base));
  });

  it("treats undefined fields as absent", () => {
    expect(cacheKey({ ...base, budget: undefined })).toBe(cacheKey(base));
  });

  it("changes when any value changes", () => {
    const key = cacheKey(base);
    expect(cacheKey({ ...base, query: "who founded it? " })).not.toBe(key);
    expect(cacheKey({ ...base, model: "gpt-4o" })).not.toBe(key);
    expect(cacheKey({ ...base, topK: 6 })).not.toBe(key);
    expect(cacheKey({ ...base, topK: "5" })).not.toBe(key);
    expect(cacheKey({ ...base, filters: { $and: [{ year: { $gte: 1800, $lt: 1901 } }] } })).not.toBe(key);
    // Array order is meaningful.
    expect(
      cacheKey({
        ...base,
        filters: { $and: [{ tag: { $in: ["a", "b"] } }, { year: { $gte: 1800, $lt: 1900 } }] },
      }),
    ).not.toBe(key);
  });

  it("does not confuse look-alike structures", () => {
    const keys = [
      cacheKey({ v: { a: 1 } }),
      cacheKey({ v: [["a", 1]] }),
      cacheKey({ v: { o: [["a", 1]] } }),
      cacheKey({ v: "NaN" }),
      cacheKey({ v: Number.NaN }),
      cacheKey({ v: { n: "NaN" } }),
      cacheKey({ v: null }),
      cacheKey({ v: 1 }),
      cacheKey({ v: "1" }),
      cacheKey({ v: 1n }),
      cacheKey({}),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("gives the same key for equal dates and bigints", () => {
    expect(cacheKey({ d: new Date(5), b: 10n })).toBe(cacheKey({ b: 10n, d: new Date(5) }));
  });
});
