import { ConfigError, type Metadata, type MetadataFilter, matchesFilter } from "@deeprecall/core";
import { filterMismatches, generateFilters } from "@deeprecall/test-utils";
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

// Non-empty when no Chroma server can run here (outside CI): the suite below is skipped.
const chromaSkip = inject("chromaSkip");

describe.skipIf(chromaSkip)(
  `translateFilter against a real Chroma server, with matchesFilter as the oracle${chromaSkip}`,
  () => {
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
      // Created while collecting even when skipped: without a server, the default URL is never called.
      url: inject("chromaUrl") || undefined,
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
      const filters = generateFilters({
        seed: 1234,
        count: 150,
        fields: [
          ["color", "string"],
          ["n", "number"],
          ["flag", "boolean"],
          ["tags", "string"],
        ],
        strings,
        numbers,
        mixedInLists: true,
      });
      const mismatches = await filterMismatches(filters, actualIds, expectedIds);
      expect(mismatches).toEqual([]);
    });
  },
);
