import {
  ConfigError,
  DeepRecallError,
  type EmbeddingFunction,
  type MetadataFilter,
  type SearchResult,
  type VectorStore,
} from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import {
  conformanceCorpus,
  filterCases,
  invalidFilterCases,
  MATCH_ALL_QUERY,
  nonAsciiCorpus,
  nonAsciiQueries,
  rankingCases,
} from "./corpus.ts";
import { fakeEmbedding } from "./fake-embedding.ts";

/** What `makeStore` returns: a fresh, empty store, plus how to clean it up and reopen it. */
export interface ConformanceStoreHandle {
  /** A new, EMPTY store (its own directory / collection / namespace). */
  store: VectorStore;
  /** Called after the case, after the suite has called `close()` on every store it opened. */
  cleanup?: () => Promise<void>;
  /**
   * Opens the same data again as a new store instance (same directory / collection / namespace).
   * The suite closes the previous instance first. Required when `options.persistent` is true.
   */
  reopen?: () => Promise<VectorStore>;
}

export interface ConformanceOptions {
  /** The store persists its data: run the close-and-reopen cases (needs `handle.reopen`). */
  persistent?: boolean;
  /** Per-case timeout in ms (default: the vitest config's testTimeout). */
  timeout?: number;
  /** Timeout in ms for the large-batch case (default: 4 × `timeout`, or 120 000). */
  largeBatchTimeout?: number;
  /** Number of documents in the large-batch case (default 1 200). */
  largeBatchSize?: number;
  /**
   * Computes the vectors the suite passes explicitly as `addDocuments({ embeddings })`. Must have
   * the dimension the store expects (use the same function the store is configured with).
   * Default: `fakeEmbedding()` (256 dimensions).
   */
  embed?: EmbeddingFunction;
  /**
   * Awaited after every write the suite makes, for eventually consistent backends (e.g. wait
   * until the store reports the expected count). Default: nothing.
   */
  settle?: (store: VectorStore) => Promise<void>;
}

const ids = (results: SearchResult[]) => results.map((r) => r.id);
const sorted = (values: string[]) => [...values].sort();

async function expectRejects(
  promise: Promise<unknown>,
  errorClass: typeof DeepRecallError = ConfigError,
): Promise<DeepRecallError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, "expected the call to reject").toBeInstanceOf(errorClass);
  const error = caught as DeepRecallError;
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

function expectWellFormed(results: SearchResult[]): void {
  expect(Array.isArray(results)).toBe(true);
  for (const r of results) {
    expect(typeof r.id).toBe("string");
    expect(typeof r.content).toBe("string");
    expect(typeof r.metadata).toBe("object");
    expect(r.metadata).not.toBeNull();
    expect(Number.isFinite(r.score)).toBe(true);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
  }
  for (let i = 1; i < results.length; i++) {
    expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
  }
  expect(new Set(ids(results)).size, "no duplicate ids in one result list").toBe(results.length);
}

/**
 * Registers the shared `VectorStore` conformance cases (vitest `describe`/`it`) for one store.
 * `makeStore` is called once per case and must return an empty store; see the package README.
 */
export function describeVectorStoreConformance(
  name: string,
  makeStore: () => Promise<ConformanceStoreHandle>,
  options: ConformanceOptions = {},
): void {
  const embed = options.embed ?? fakeEmbedding();
  const settle = options.settle ?? (async () => {});
  const timeout = options.timeout;
  const largeBatchSize = options.largeBatchSize ?? 1200;
  const largeBatchTimeout = options.largeBatchTimeout ?? (timeout ? timeout * 4 : 120_000);

  interface Ctx {
    store: VectorStore;
    handle: ConformanceStoreHandle;
    /** Adds and settles. */
    add: (input: Parameters<VectorStore["addDocuments"]>[0]) => Promise<string[]>;
    addCorpus: () => Promise<void>;
    /** Closes the current store and opens the same data again. */
    reopen: () => Promise<VectorStore>;
  }

  const withStore = (fn: (ctx: Ctx) => Promise<void>) => async () => {
    const handle = await makeStore();
    const opened: VectorStore[] = [handle.store];
    const ctx: Ctx = {
      store: handle.store,
      handle,
      add: async (input) => {
        const result = await ctx.store.addDocuments(input);
        await settle(ctx.store);
        return result;
      },
      addCorpus: async () => {
        await ctx.add({
          documents: conformanceCorpus.map((d) => d.content),
          metadatas: conformanceCorpus.map((d) => d.metadata),
          ids: conformanceCorpus.map((d) => d.id),
        });
      },
      reopen: async () => {
        if (!handle.reopen)
          throw new Error(`${name}: options.persistent is set but makeStore() gave no reopen()`);
        await ctx.store.close?.();
        opened.pop();
        ctx.store = await handle.reopen();
        opened.push(ctx.store);
        return ctx.store;
      },
    };
    try {
      await fn(ctx);
    } finally {
      for (const store of opened) await store.close?.();
      await handle.cleanup?.();
    }
  };

  describe(`VectorStore conformance: ${name}`, () => {
    describe("adding documents", () => {
      it(
        "starts empty and has a name",
        withStore(async ({ store }) => {
          expect(typeof store.name).toBe("string");
          expect(store.name.length).toBeGreaterThan(0);
          expect(await store.count()).toBe(0);
          expect(await store.search("anything at all", { topK: 5 })).toEqual([]);
        }),
        timeout,
      );

      it(
        "adds documents with given ids and returns exactly those ids in order",
        withStore(async (ctx) => {
          const given = conformanceCorpus.map((d) => d.id);
          const returned = await ctx.add({
            documents: conformanceCorpus.map((d) => d.content),
            metadatas: conformanceCorpus.map((d) => d.metadata),
            ids: given,
          });
          expect(returned).toEqual(given);
          expect(await ctx.store.count()).toBe(conformanceCorpus.length);
          const [hit] = await ctx.store.search(conformanceCorpus[3]!.content, { topK: 1 });
          expect(hit?.id).toBe(conformanceCorpus[3]!.id);
          expect(hit?.content).toBe(conformanceCorpus[3]!.content);
          expect(hit?.metadata).toEqual(conformanceCorpus[3]!.metadata);
        }),
        timeout,
      );

      it(
        "generates unique ids, returned in input order, when none are given",
        withStore(async (ctx) => {
          const docs = conformanceCorpus.slice(0, 5);
          const returned = await ctx.add({ documents: docs.map((d) => d.content) });
          expect(returned).toHaveLength(docs.length);
          for (const id of returned) {
            expect(typeof id).toBe("string");
            expect(id.length).toBeGreaterThan(0);
          }
          expect(new Set(returned).size).toBe(docs.length);
          expect(await ctx.store.count()).toBe(docs.length);
          // The i-th returned id belongs to the i-th document.
          for (let i = 0; i < docs.length; i++) {
            const [hit] = await ctx.store.search(docs[i]!.content, { topK: 1 });
            expect(hit?.id).toBe(returned[i]);
            expect(hit?.content).toBe(docs[i]!.content);
          }
          // A second batch gets ids distinct from the first.
          const more = await ctx.add({
            documents: ["Another document about a guide to gardening tomatoes."],
          });
          expect(returned).not.toContain(more[0]);
          expect(await ctx.store.count()).toBe(docs.length + 1);
        }),
        timeout,
      );

      it(
        "accepts explicit embeddings",
        withStore(async (ctx) => {
          const docs = conformanceCorpus.slice(0, 4);
          const texts = docs.map((d) => d.content);
          const returned = await ctx.add({
            documents: texts,
            ids: docs.map((d) => d.id),
            metadatas: docs.map((d) => d.metadata),
            embeddings: await embed(texts),
          });
          expect(returned).toEqual(docs.map((d) => d.id));
          expect(await ctx.store.count()).toBe(4);
          const [hit] = await ctx.store.search(docs[2]!.content, { topK: 1 });
          expect(hit?.id).toBe(docs[2]!.id);
        }),
        timeout,
      );

      it(
        "re-adding an existing id updates it instead of duplicating it",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          const before = await ctx.store.count();
          const updated = "An updated guide to growing chili peppers on a sunny balcony.";
          const returned = await ctx.add({
            documents: [updated],
            ids: ["doc-bread"],
            metadatas: [{ topic: "gardening", year: 2025, rating: 4.25, published: true }],
          });
          expect(returned).toEqual(["doc-bread"]);
          expect(await ctx.store.count()).toBe(before);
          const results = await ctx.store.search("growing chili peppers on a balcony", { topK: 3 });
          expect(results[0]?.id).toBe("doc-bread");
          expect(results[0]?.content).toBe(updated);
          expect(results[0]?.metadata).toEqual({
            topic: "gardening",
            year: 2025,
            rating: 4.25,
            published: true,
          });
          // The old text and metadata are gone.
          const old = await ctx.store.search("baking sourdough bread with a starter", { topK: 20 });
          expect(old.map((r) => r.content)).not.toContain(conformanceCorpus[0]!.content);
          expect(
            ids(await ctx.store.search(MATCH_ALL_QUERY, { topK: 50, filters: { topic: "cooking" } })),
          ).not.toContain("doc-bread");
          expect(
            ids(await ctx.store.search(MATCH_ALL_QUERY, { topK: 50, filters: { topic: "gardening" } })),
          ).toEqual(["doc-bread"]);
        }),
        timeout,
      );

      it(
        "keeps non-ASCII text and metadata intact and searchable",
        withStore(async (ctx) => {
          await ctx.add({
            documents: nonAsciiCorpus.map((d) => d.content),
            metadatas: nonAsciiCorpus.map((d) => d.metadata),
            ids: nonAsciiCorpus.map((d) => d.id),
          });
          expect(await ctx.store.count()).toBe(nonAsciiCorpus.length);
          for (const { query, expectedFirst } of nonAsciiQueries) {
            const results = await ctx.store.search(query, { topK: 4 });
            expectWellFormed(results);
            expect(results[0]?.id, `first hit for ${JSON.stringify(query)}`).toBe(expectedFirst);
            const doc = nonAsciiCorpus.find((d) => d.id === expectedFirst)!;
            expect(results[0]?.content).toBe(doc.content);
            expect(results[0]?.metadata).toEqual(doc.metadata);
          }
          const zurich = await ctx.store.search("Zürich", { topK: 10, filters: { city: "Zürich" } });
          expect(ids(zurich)).toEqual(["intl-zurich"]);
        }),
        timeout,
      );

      it(
        `adds a large batch (${largeBatchSize} documents) in one call`,
        withStore(async (ctx) => {
          const n = largeBatchSize;
          // Each document carries a unique made-up word so it can be found exactly.
          const word = (i: number) => {
            let s = "";
            let x = i + 1;
            while (x > 0) {
              s += "bcdfghjklmnpqrstvwxz"[x % 20];
              x = Math.floor(x / 20);
            }
            return `qu${s}ix`;
          };
          const documents = Array.from(
            { length: n },
            (_, i) => `Bulk record ${i} is tagged ${word(i)} for retrieval.`,
          );
          const given = documents.map((_, i) => `bulk-${i}`);
          const returned = await ctx.add({
            documents,
            ids: given,
            metadatas: documents.map((_, i) => ({ i, even: i % 2 === 0 })),
          });
          expect(returned).toEqual(given);
          expect(await ctx.store.count()).toBe(n);
          for (const i of [0, Math.floor(n / 2) + 7, n - 1]) {
            // Narrowed to the record by its metadata: this case is about writing a large batch,
            // and over 1200 near-identical records an approximate index (Chroma's HNSW) may miss
            // the record from its top hits (seen in CI: none of the top 3 of 1200 was it).
            const hits = await ctx.store.search(documents[i]!, { topK: 3, filters: { i } });
            const hit = hits.find((h) => h.id === `bulk-${i}`);
            expect(hit?.id, JSON.stringify(hits.map((h) => h.id))).toBe(`bulk-${i}`);
            expect(hit?.content).toBe(documents[i]);
            expect(hit?.metadata).toEqual({ i, even: i % 2 === 0 });
          }
          const filtered = await ctx.store.search(documents[10]!, {
            topK: 5,
            filters: { i: { $gte: n - 3 } },
          });
          expect(
            sorted(ids(filtered)).every((id) =>
              [`bulk-${n - 3}`, `bulk-${n - 2}`, `bulk-${n - 1}`].includes(id),
            ),
          ).toBe(true);
        }),
        largeBatchTimeout,
      );
    });

    describe("rejecting bad input (nothing is written)", () => {
      const seedThen = (fn: (ctx: Ctx) => Promise<void>) =>
        withStore(async (ctx) => {
          await ctx.add({ documents: ["A seed guide that is already stored."], ids: ["seed"] });
          await fn(ctx);
          expect(await ctx.store.count(), "count unchanged after rejected input").toBe(1);
          const hits = await ctx.store.search("intruder mismatch payload", { topK: 10 });
          expect(hits.every((h) => h.id === "seed")).toBe(true);
        });

      it(
        "metadatas length mismatch -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(
            store.addDocuments({
              documents: ["intruder mismatch payload one", "intruder mismatch payload two"],
              metadatas: [{ a: 1 }],
            }),
          );
        }),
        timeout,
      );

      it(
        "ids length mismatch -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(
            store.addDocuments({ documents: ["intruder mismatch payload one"], ids: ["x1", "x2"] }),
          );
        }),
        timeout,
      );

      it(
        "embeddings length mismatch -> ConfigError",
        seedThen(async ({ store }) => {
          const vectors = await embed(["intruder mismatch payload one"]);
          await expectRejects(
            store.addDocuments({
              documents: ["intruder mismatch payload one", "intruder mismatch payload two"],
              embeddings: vectors,
            }),
          );
        }),
        timeout,
      );

      it(
        "an empty documents array -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(store.addDocuments({ documents: [] }));
        }),
        timeout,
      );

      it(
        "an empty or blank string document -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(store.addDocuments({ documents: ["intruder mismatch payload", ""] }));
          await expectRejects(store.addDocuments({ documents: ["   "] }));
        }),
        timeout,
      );

      it(
        "a non-string document -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(
            store.addDocuments({ documents: ["intruder mismatch payload", 42 as unknown as string] }),
          );
          await expectRejects(store.addDocuments({ documents: [null as unknown as string] }));
          await expectRejects(
            store.addDocuments({ documents: "intruder mismatch payload" as unknown as string[] }),
          );
        }),
        timeout,
      );

      it(
        "a repeated id within one batch -> ConfigError",
        seedThen(async ({ store }) => {
          await expectRejects(
            store.addDocuments({
              documents: ["intruder mismatch payload one", "intruder mismatch payload two"],
              ids: ["dup", "dup"],
            }),
          );
        }),
        timeout,
      );

      it(
        "an embedding of the wrong dimension -> DeepRecallError",
        withStore(async (ctx) => {
          // Seeded with explicit vectors, so even a store without an embedding model has a dimension.
          const [seed, good] = await embed([
            "A seed guide that is already stored.",
            "intruder mismatch payload",
          ]);
          await ctx.add({
            documents: ["A seed guide that is already stored."],
            ids: ["seed"],
            embeddings: [seed!],
          });
          await expectRejects(
            ctx.store.addDocuments({
              documents: ["intruder mismatch payload"],
              embeddings: [[...good!, 0.5]],
            }),
            DeepRecallError,
          );
          expect(await ctx.store.count()).toBe(1);
          const hits = await ctx.store.search("intruder mismatch payload", { topK: 10 });
          expect(hits.every((h) => h.id === "seed")).toBe(true);
        }),
        timeout,
      );
    });

    describe("search", () => {
      it(
        "ranks the obviously relevant document first",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          for (const { query, expectedFirst } of rankingCases) {
            const results = await ctx.store.search(query, { topK: 5 });
            expectWellFormed(results);
            expect(results[0]?.id, `first hit for ${JSON.stringify(query)}`).toBe(expectedFirst);
          }
        }),
        timeout,
      );

      it(
        "returns scores in [0, 1], sorted descending, with content and metadata",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          for (const query of [
            MATCH_ALL_QUERY,
            "travel guide to Japan",
            "database indexes",
            "zzz unrelated qqq",
          ]) {
            const results = await ctx.store.search(query, { topK: conformanceCorpus.length });
            expectWellFormed(results);
            for (const r of results) {
              const doc = conformanceCorpus.find((d) => d.id === r.id);
              expect(doc, `unknown id ${r.id}`).toBeDefined();
              expect(r.content).toBe(doc!.content);
              expect(r.metadata).toEqual(doc!.metadata);
            }
          }
        }),
        timeout,
      );

      it(
        "honours topK",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          expect(await ctx.store.search(MATCH_ALL_QUERY, { topK: 1 })).toHaveLength(1);
          expect(await ctx.store.search(MATCH_ALL_QUERY, { topK: 3 })).toHaveLength(3);
          const all = await ctx.store.search(MATCH_ALL_QUERY, { topK: 100 });
          expect(all).toHaveLength(conformanceCorpus.length);
          expect(sorted(ids(all))).toEqual(sorted(conformanceCorpus.map((d) => d.id)));
          const byDefault = await ctx.store.search(MATCH_ALL_QUERY);
          expect(byDefault.length).toBeGreaterThan(0);
          expect(byDefault.length).toBeLessThanOrEqual(conformanceCorpus.length);
        }),
        timeout,
      );
    });

    describe("metadata filters", () => {
      for (const { name: caseName, filter, expected } of filterCases) {
        it(
          `${caseName}: ${JSON.stringify(filter)}`,
          withStore(async (ctx) => {
            await ctx.addCorpus();
            const results = await ctx.store.search(MATCH_ALL_QUERY, { topK: 50, filters: filter });
            expectWellFormed(results);
            expect(sorted(ids(results))).toEqual(sorted(expected));
            // A filter combined with a small topK still only returns matching documents.
            if (expected.length > 1) {
              const top1 = await ctx.store.search(MATCH_ALL_QUERY, { topK: 1, filters: filter });
              expect(top1).toHaveLength(1);
              expect(expected).toContain(top1[0]!.id);
            }
          }),
          timeout,
        );
      }

      it(
        "filters combine with ranking (the best match within the filter comes first)",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          const results = await ctx.store.search("PostgreSQL indexes", {
            topK: 3,
            filters: { topic: "tech" },
          });
          expect(results[0]?.id).toBe("doc-postgres");
          expect(results.every((r) => r.metadata.topic === "tech")).toBe(true);
          const none = await ctx.store.search("PostgreSQL indexes", {
            topK: 3,
            filters: { topic: "cooking", year: 1900 },
          });
          expect(none).toEqual([]);
        }),
        timeout,
      );

      for (const { name: caseName, filter } of invalidFilterCases) {
        it(
          `invalid filter -> ConfigError (${caseName})`,
          withStore(async (ctx) => {
            await ctx.addCorpus();
            await expectRejects(
              ctx.store.search(MATCH_ALL_QUERY, { topK: 5, filters: filter as MetadataFilter }),
            );
          }),
          timeout,
        );
      }
    });

    describe("delete and count", () => {
      it(
        "deletes by id and updates count",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          await ctx.store.delete(["doc-bread", "doc-rust"]);
          await settle(ctx.store);
          expect(await ctx.store.count()).toBe(conformanceCorpus.length - 2);
          const all = ids(await ctx.store.search(MATCH_ALL_QUERY, { topK: 100 }));
          expect(all).not.toContain("doc-bread");
          expect(all).not.toContain("doc-rust");
          expect(all).toHaveLength(conformanceCorpus.length - 2);
          const bread = await ctx.store.search("how to bake sourdough bread", { topK: 3 });
          expect(ids(bread)).not.toContain("doc-bread");
        }),
        timeout,
      );

      it(
        "deleting unknown ids (or none) is not an error",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          await ctx.store.delete(["no-such-id", "another-missing-id"]);
          await ctx.store.delete([]);
          await ctx.store.delete(["doc-curry", "no-such-id"]);
          await settle(ctx.store);
          expect(await ctx.store.count()).toBe(conformanceCorpus.length - 1);
        }),
        timeout,
      );

      it(
        "a deleted id can be added again",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          await ctx.store.delete(["doc-kyoto"]);
          await settle(ctx.store);
          await ctx.add({ documents: ["A travel guide to Osaka street food."], ids: ["doc-kyoto"] });
          expect(await ctx.store.count()).toBe(conformanceCorpus.length);
          const [hit] = await ctx.store.search("Osaka street food", { topK: 1 });
          expect(hit?.id).toBe("doc-kyoto");
          expect(hit?.content).toBe("A travel guide to Osaka street food.");
        }),
        timeout,
      );
    });

    describe("metadata every store keeps the same way", () => {
      for (const key of ["", "$where", "$and", "#document", "#embedding", "chroma:document", "chroma:x"]) {
        it(
          `a metadata key ${JSON.stringify(key)} -> ConfigError naming the key, nothing written`,
          withStore(async (ctx) => {
            await ctx.add({ documents: ["A seed guide that is already stored."], ids: ["seed"] });
            const error = await expectRejects(
              ctx.store.addDocuments({
                documents: ["intruder mismatch payload one", "intruder mismatch payload two"],
                metadatas: [{ topic: "fine" }, { topic: "fine", [key]: "value" }],
                ids: ["x1", "x2"],
              }),
            );
            expect(error.message).toContain(`metadatas[1] has the key ${JSON.stringify(key)}`);
            expect((error as DeepRecallError & { field?: string }).field).toBe(`metadatas[1].${key}`);
            expect(await ctx.store.count(), "count unchanged after rejected input").toBe(1);
          }),
          timeout,
        );
      }

      it(
        "null values and empty lists are not kept; a filter on null matches nothing, $ne null everything",
        withStore(async (ctx) => {
          await ctx.add({
            documents: ["A guide with a null author and an empty tag list.", "A guide with a named author."],
            metadatas: [
              { author: null, tags: [], topic: "nulls" },
              { author: "Ada", topic: "nulls" },
            ],
            ids: ["null-author", "named-author"],
          });
          const all = await ctx.store.search(MATCH_ALL_QUERY, { topK: 10 });
          expect(all.find((r) => r.id === "null-author")?.metadata).toEqual({ topic: "nulls" });
          expect(all.find((r) => r.id === "named-author")?.metadata).toEqual({
            author: "Ada",
            topic: "nulls",
          });
          const search = (filters: MetadataFilter) =>
            ctx.store.search(MATCH_ALL_QUERY, { topK: 10, filters }).then((r) => sorted(ids(r)));
          expect(await search({ author: null })).toEqual([]);
          expect(await search({ author: { $eq: null } })).toEqual([]);
          expect(await search({ author: { $ne: null } })).toEqual(["named-author", "null-author"]);
          // (the type allows no null in $in; JSON from a client can hold one)
          expect(await search({ author: { $in: [null, "Ada"] } } as unknown as MetadataFilter)).toEqual([
            "named-author",
          ]);
        }),
        timeout,
      );
    });

    describe("list (paging)", () => {
      it(
        "pages through every document exactly once, with content and metadata",
        withStore(async (ctx) => {
          if (!ctx.store.list) return expect.fail(`${name} has no list()`);
          await ctx.addCorpus();
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await ctx.store.list({ limit: 5, ...(cursor ? { cursor } : {}) });
            pages++;
            expect(page.documents.length).toBeLessThanOrEqual(5);
            for (const doc of page.documents) {
              const expected = conformanceCorpus.find((d) => d.id === doc.id);
              expect(expected, `unknown id ${doc.id}`).toBeDefined();
              expect(doc.content).toBe(expected!.content);
              expect(doc.metadata).toEqual(expected!.metadata);
              seen.push(doc.id);
            }
            cursor = page.nextCursor ?? undefined;
            expect(pages, "paging ends").toBeLessThan(20);
          } while (cursor);
          expect(sorted(seen)).toEqual(sorted(conformanceCorpus.map((d) => d.id)));
          expect(pages).toBe(Math.ceil(conformanceCorpus.length / 5));
          const everything = await ctx.store.list({ limit: 1000 });
          expect(everything.nextCursor).toBeNull();
          expect(sorted(everything.documents.map((d) => d.id))).toEqual(sorted(seen));
        }),
        timeout,
      );

      it(
        "an empty store lists nothing; a bad limit or cursor -> ConfigError",
        withStore(async ({ store }) => {
          if (!store.list) return expect.fail(`${name} has no list()`);
          expect(await store.list()).toEqual({ documents: [], nextCursor: null });
          await expectRejects(store.list({ limit: 0 }));
          await expectRejects(store.list({ limit: 1001 }));
          await expectRejects(store.list({ limit: 2.5 }));
          await expectRejects(store.list({ cursor: "not a cursor!" }));
        }),
        timeout,
      );

      it(
        "deleted documents are not listed",
        withStore(async (ctx) => {
          if (!ctx.store.list) return expect.fail(`${name} has no list()`);
          await ctx.addCorpus();
          await ctx.store.delete(["doc-bread", "doc-rust"]);
          await settle(ctx.store);
          const { documents } = await ctx.store.list({ limit: 100 });
          expect(documents.map((d) => d.id)).not.toContain("doc-bread");
          expect(documents).toHaveLength(conformanceCorpus.length - 2);
        }),
        timeout,
      );
    });

    describe("persistence", () => {
      if (!options.persistent) {
        it.skip(`${name} is not persistent (options.persistent not set)`, () => {});
        return;
      }

      it(
        "a reopened store has the same documents and returns identical search results",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          await ctx.add({
            documents: nonAsciiCorpus.map((d) => d.content),
            metadatas: nonAsciiCorpus.map((d) => d.metadata),
            ids: nonAsciiCorpus.map((d) => d.id),
          });
          await ctx.store.delete(["doc-lisbon"]);
          await ctx.add({
            documents: ["A travel guide to Porto and its port wine cellars."],
            ids: ["doc-kyoto"],
          });
          const queries = [
            ...rankingCases.map((c) => c.query),
            "Zürich",
            "travel guide to Porto",
            MATCH_ALL_QUERY,
          ];
          const filters: MetadataFilter = { topic: { $in: ["travel", "tech"] } };
          const before = await Promise.all(queries.map((q) => ctx.store.search(q, { topK: 5 })));
          const beforeFiltered = await ctx.store.search(MATCH_ALL_QUERY, { topK: 50, filters });
          const count = await ctx.store.count();

          const reopened = await ctx.reopen();
          expect(await reopened.count()).toBe(count);
          const after = await Promise.all(queries.map((q) => reopened.search(q, { topK: 5 })));
          for (let i = 0; i < queries.length; i++) {
            expect(ids(after[i]!), `results for ${JSON.stringify(queries[i])}`).toEqual(ids(before[i]!));
            after[i]!.forEach((r, j) => {
              expect(r.content).toBe(before[i]![j]!.content);
              expect(r.metadata).toEqual(before[i]![j]!.metadata);
              expect(r.score).toBeCloseTo(before[i]![j]!.score, 6);
            });
          }
          expect(sorted(ids(await reopened.search(MATCH_ALL_QUERY, { topK: 50, filters })))).toEqual(
            sorted(ids(beforeFiltered)),
          );
        }),
        timeout,
      );

      it(
        "writes after a reopen persist too",
        withStore(async (ctx) => {
          await ctx.addCorpus();
          let store = await ctx.reopen();
          await ctx.add({ documents: ["A guide to knitting a wool scarf."], ids: ["doc-knit"] });
          await store.delete(["doc-pasta"]);
          await settle(store);
          store = await ctx.reopen();
          expect(await store.count()).toBe(conformanceCorpus.length);
          const [hit] = await store.search("knitting a wool scarf", { topK: 1 });
          expect(hit?.id).toBe("doc-knit");
          expect(ids(await store.search(MATCH_ALL_QUERY, { topK: 50 }))).not.toContain("doc-pasta");
        }),
        timeout,
      );
    });
  });
}
