import { ConfigError, type Metadata, type MetadataFilter, matchesFilter } from "@deeprecall/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ChromaStore } from "./chroma-store.ts";
import { translateFilter } from "./filter.ts";

describe("translateFilter (shapes Chroma accepts)", () => {
  it("turns several keys at one level into $and and keeps single keys as they are", () => {
    expect(translateFilter({ topic: "tech" }, { arrayMembership: false })).toEqual({
      kind: "where",
      where: { topic: { $eq: "tech" } },
    });
    expect(translateFilter({ topic: "tech", year: { $gte: 2020 } }, { arrayMembership: false })).toEqual({
      kind: "where",
      where: { $and: [{ topic: { $eq: "tech" } }, { year: { $gte: 2020 } }] },
    });
  });

  it("splits a field expression with several operators into one clause per operator", () => {
    expect(translateFilter({ year: { $gt: 2000, $lt: 2010 } }, { arrayMembership: false })).toEqual({
      kind: "where",
      where: { $and: [{ year: { $gt: 2000 } }, { year: { $lt: 2010 } }] },
    });
  });

  it("unwraps $and/$or with a single clause (Chroma requires two or more)", () => {
    expect(translateFilter({ $or: [{ topic: "a" }] }, { arrayMembership: false })).toEqual({
      kind: "where",
      where: { topic: { $eq: "a" } },
    });
  });

  it("decides empty $in / $nin and null equality without the server", () => {
    expect(translateFilter({ topic: { $in: [] } })).toEqual({ kind: "none" });
    expect(translateFilter({ topic: { $nin: [] } })).toEqual({ kind: "all" });
    expect(translateFilter({ topic: null })).toEqual({ kind: "none" });
    expect(translateFilter({ $or: [{ topic: { $in: [] } }, { topic: { $ne: null } }] })).toEqual({
      kind: "all",
    });
  });

  it("splits mixed-type $in lists into one list per type", () => {
    expect(translateFilter({ v: { $in: ["a", 1, true, "b"] } }, { arrayMembership: false })).toEqual({
      kind: "where",
      where: { $or: [{ v: { $in: ["a", "b"] } }, { v: { $in: [1] } }, { v: { $in: [true] } }] },
    });
  });

  it("rejects invalid filters with a ConfigError", () => {
    for (const bad of [
      { year: { $regex: "x" } },
      { $not: { a: 1 } },
      "a = 1",
      { $and: [] },
      { a: { $gt: "1" } },
    ]) {
      expect(() => translateFilter(bad)).toThrow(ConfigError);
    }
  });
});

/** A small deterministic PRNG so the generated filters are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("translateFilter against a real Chroma server, with matchesFilter as the oracle", () => {
  const records: Array<{ id: string; metadata: Metadata }> = [];
  const strings = ["red", "green", "blue"];
  const numbers = [-3, -2, -1.5, -1, -0.5, 0, 0.25, 1, 2, 2.5, 2.7, 3, 10];
  for (let i = 0; i < 40; i++) {
    const metadata: Metadata = {};
    if (i % 5 !== 0) metadata.color = strings[i % strings.length] as string;
    if (i % 7 !== 3) metadata.n = numbers[i % numbers.length] as number;
    if (i % 2 === 0) metadata.flag = i % 4 === 0;
    if (i % 3 === 0) metadata.tags = i % 6 === 0 ? ["red", "blue"] : ["green"];
    records.push({ id: `r${i}`, metadata });
  }
  const store = new ChromaStore({
    url: inject("chromaUrl"),
    collection: `filter-oracle-${process.pid}-${Date.now()}`,
    embedding: async (texts) => texts.map(() => [1, 0, 0]),
  });

  beforeAll(async () => {
    await store.addDocuments({
      documents: records.map((r) => `document ${r.id}`),
      ids: records.map((r) => r.id),
      metadatas: records.map((r) => r.metadata),
    });
  });
  afterAll(async () => {
    await store.close();
  });

  const expectedIds = (filter: MetadataFilter) =>
    records
      .filter((r) => matchesFilter(r.metadata, filter))
      .map((r) => r.id)
      .sort();
  const actualIds = async (filter: MetadataFilter) =>
    (await store.search("q", { topK: records.length, filters: filter })).map((r) => r.id).sort();

  const handWritten: MetadataFilter[] = [
    { color: "red" },
    { color: { $ne: "red" } },
    { tags: "red" },
    { tags: { $ne: "red" } },
    { tags: { $eq: "green" } },
    { n: 2.5 },
    { n: { $ne: 2.5 } },
    { n: { $gte: 2.7 } },
    { n: { $lte: -0.5 } },
    { n: { $gt: -1.5 } },
    { n: { $lt: 0.25 } },
    { n: { $in: [2.5, 3, -1.5] } },
    { n: { $nin: [2.5, 3, -1.5] } },
    { flag: false },
    { flag: { $ne: true } },
    { color: { $in: ["red", "blue"] }, n: { $gt: 0 } },
    { $or: [{ flag: true }, { n: { $lt: -1 } }] },
    { $and: [{ color: { $nin: ["green"] } }, { $or: [{ n: 10 }, { tags: "green" }] }] },
    { color: { $in: [] } },
    { color: { $nin: [] } },
    { color: null },
    { n: { $gt: 1000 } },
  ];

  it.each(handWritten.map((filter) => [JSON.stringify(filter), filter] as const))(
    "%s",
    async (_name, filter) => {
      expect(await actualIds(filter)).toEqual(expectedIds(filter));
    },
  );

  it("agrees on 150 generated filters", async () => {
    const random = prng(1234);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const leaf = (): MetadataFilter => {
      const field = pick(["color", "n", "flag", "tags"]);
      const value =
        field === "n"
          ? pick(numbers)
          : field === "flag"
            ? random() < 0.5
            : pick([...strings, "purple"] as const);
      const operator =
        field === "n"
          ? pick(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "shorthand"] as const)
          : pick(["$eq", "$ne", "$in", "$nin", "shorthand"] as const);
      if (operator === "shorthand") return { [field]: value };
      if (operator === "$in" || operator === "$nin")
        return { [field]: { [operator]: [value, pick(numbers)] } };
      return { [field]: { [operator]: value } } as MetadataFilter;
    };
    const node = (depth: number): MetadataFilter => {
      const roll = random();
      if (depth > 1 || roll < 0.5) return leaf();
      const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () => node(depth + 1));
      return roll < 0.75 ? { $and: children } : { $or: children };
    };
    const mismatches: string[] = [];
    for (let i = 0; i < 150; i++) {
      const filter = node(0);
      const [actual, expected] = [await actualIds(filter), expectedIds(filter)];
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${JSON.stringify(filter)}: got ${actual.join(",")} expected ${expected.join(",")}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
