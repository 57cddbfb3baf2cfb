import { ConfigError, type Metadata, type MetadataFilter, matchesFilter } from "@deeprecall/core";
import { filterMismatches, generateFilters } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakePinecone, matchesPineconeFilter } from "./__fixtures__/fake-pinecone.ts";
import { translatePineconeFilter } from "./filter.ts";
import { PineconeStore } from "./pinecone-store.ts";

describe("translatePineconeFilter", () => {
  it("writes equality shorthand as $eq and several keys as $and", () => {
    expect(translatePineconeFilter({ topic: "tech", year: { $gte: 2020 } })).toEqual({
      kind: "filter",
      filter: { $and: [{ topic: { $eq: "tech" } }, { year: { $gte: 2020 } }] },
    });
  });

  it("lets $ne / $nin match records without the field, as our semantics say", () => {
    expect(translatePineconeFilter({ topic: { $ne: "tech" } })).toEqual({
      kind: "filter",
      filter: { $or: [{ topic: { $ne: "tech" } }, { topic: { $exists: false } }] },
    });
  });

  it("moves booleans out of $in / $nin (Pinecone sets take strings and numbers)", () => {
    expect(translatePineconeFilter({ v: { $in: ["a", 1, true] } })).toEqual({
      kind: "filter",
      filter: { $or: [{ v: { $in: ["a"] } }, { v: { $in: [1] } }, { v: { $eq: true } }] },
    });
  });

  it("decides empty sets and null without the server", () => {
    expect(translatePineconeFilter({ a: { $in: [] } })).toEqual({ kind: "none" });
    expect(translatePineconeFilter({ a: { $nin: [] } })).toEqual({ kind: "all" });
    expect(translatePineconeFilter({ a: null })).toEqual({ kind: "none" });
    expect(translatePineconeFilter({ a: { $ne: null } })).toEqual({ kind: "all" });
  });

  it("rejects invalid filters with a ConfigError", () => {
    for (const bad of [
      { year: { $regex: "x" } },
      { $not: { a: 1 } },
      "a = 1",
      { $and: [] },
      { a: { $gt: "1" } },
    ]) {
      expect(() => translatePineconeFilter(bad)).toThrow(ConfigError);
    }
  });
});

describe("filters through the fake Pinecone, with matchesFilter as the oracle", () => {
  const API_KEY = "pc-filter-key-0123456789";
  const fake = new FakePinecone({ apiKey: API_KEY });
  const strings = ["red", "green", "blue"];
  const numbers = [-3, -1.5, 0, 0.25, 1, 2, 2.5, 10];
  const records: Array<{ id: string; metadata: Metadata }> = [];
  for (let i = 0; i < 40; i++) {
    const metadata: Metadata = {};
    if (i % 5 !== 0) metadata.color = strings[i % strings.length] as string;
    if (i % 7 !== 3) metadata.n = numbers[i % numbers.length] as number;
    if (i % 2 === 0) metadata.flag = i % 4 === 0;
    if (i % 3 === 0) metadata.tags = i % 6 === 0 ? ["red", "blue"] : ["green"];
    records.push({ id: `r${i}`, metadata });
  }
  let store: PineconeStore;

  beforeAll(async () => {
    await fake.start();
    fake.createIndex({ name: "filters", dimension: 2 });
    store = new PineconeStore({
      apiKey: API_KEY,
      index: "filters",
      controllerHostUrl: fake.url,
      embedding: async (texts) => texts.map(() => [1, 0]),
    });
    await store.addDocuments({
      documents: records.map((r) => `document ${r.id}`),
      ids: records.map((r) => r.id),
      metadatas: records.map((r) => r.metadata),
    });
  });
  afterAll(async () => {
    await fake.stop();
  });

  const expectedIds = (filter: MetadataFilter) =>
    records
      .filter((r) => matchesFilter(r.metadata, filter))
      .map((r) => r.id)
      .sort();
  const actualIds = async (filter: MetadataFilter) =>
    (await store.search("q", { topK: 100, filters: filter })).map((r) => r.id).sort();

  it("the fake is closed-world on missing fields, so the $exists rewrite matters", () => {
    expect(matchesPineconeFilter({}, { a: { $ne: 1 } })).toBe(false);
    expect(matchesPineconeFilter({ tags: ["x", "y"] }, { tags: "x" })).toBe(true);
    expect(matchesPineconeFilter({ tags: ["x", "y"] }, { tags: { $ne: "x" } })).toBe(false);
  });

  const handWritten: MetadataFilter[] = [
    { color: "red" },
    { color: { $ne: "red" } },
    { color: { $nin: ["red", "blue"] } },
    { tags: "red" },
    { tags: { $ne: "red" } },
    { n: { $gte: 2.5 } },
    { n: { $in: [2.5, 0] } },
    { flag: false },
    { flag: { $ne: true } },
    { flag: { $in: [true] } },
    { flag: { $nin: [false] } },
    { $or: [{ flag: true }, { n: { $lt: -1 } }] },
    { color: { $in: ["red", "blue"] }, n: { $gt: 0 } },
    { color: { $in: [] } },
  ];
  it.each(handWritten.map((f) => [JSON.stringify(f), f] as const))("%s", async (_name, filter) => {
    expect(await actualIds(filter)).toEqual(expectedIds(filter));
  });

  it("agrees on 150 generated filters over scalar fields", async () => {
    const filters = generateFilters({
      seed: 99,
      count: 150,
      fields: [
        ["color", "string"],
        ["n", "number"],
        ["flag", "boolean"],
      ],
      strings,
      numbers,
      mixedInLists: false,
    });
    const mismatches = await filterMismatches(filters, actualIds, expectedIds);
    expect(mismatches).toEqual([]);
  });
});
