import { AbortError, ConfigError, VectorStoreError } from "@deeprecall/core";
import { fakeEmbedding } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakePinecone } from "./__fixtures__/fake-pinecone.ts";
import { DEFAULT_NAMESPACE, PineconeStore, type PineconeStoreOptions } from "./pinecone-store.ts";
import { pineconeScore } from "./scores.ts";

const API_KEY = "pc-secret-key-abcdef0123456789";
const fake = new FakePinecone({ apiKey: API_KEY });
/** Maps "east", "north", "west" to fixed unit vectors. */
const compass = async (texts: string[]) =>
  texts.map((t) =>
    t.includes("east") ? [1, 0] : t.includes("north") ? [0, 1] : t.includes("west") ? [-1, 0] : [0.6, 0.8],
  );
let counter = 0;
const open = (options: Partial<PineconeStoreOptions> = {}) =>
  new PineconeStore({
    apiKey: API_KEY,
    index: "vectors",
    namespace: `ns-${counter++}`,
    embedding: compass,
    controllerHostUrl: fake.url,
    ...options,
  });

/** Whatever an error exposes: message, store label and its JSON form. */
const exposed = (error: unknown) =>
  `${(error as Error).message} ${(error as VectorStoreError).store} ${JSON.stringify(error)} ${String((error as Error).stack)}`;
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(async () => {
  await fake.start();
  fake.createIndex({ name: "vectors", dimension: 2, metric: "cosine" });
  fake.createIndex({ name: "dot", dimension: 2, metric: "dotproduct" });
  fake.createIndex({ name: "l2", dimension: 2, metric: "euclidean" });
  fake.createIndex({ name: "integrated", dimension: 256, integrated: { textField: "chunk_text" } });
});
afterAll(async () => {
  await fake.stop();
});

describe("pineconeScore", () => {
  it("maps each metric onto [0, 1], best = 1", () => {
    expect(pineconeScore(1, "cosine")).toBe(1);
    expect(pineconeScore(0, "cosine")).toBe(0.5);
    expect(pineconeScore(-1, "cosine")).toBe(0);
    expect(pineconeScore(5, "dotproduct")).toBe(1);
    expect(pineconeScore(0, "euclidean")).toBe(1);
    expect(pineconeScore(3, "euclidean")).toBe(0.25);
    expect(pineconeScore(undefined, "cosine")).toBe(0);
  });
});

describe("PineconeStore on a vector index (fake Pinecone)", () => {
  it("speaks the API version the v9 client is built for and describes the index once", async () => {
    const store = open();
    const before = fake.requests.length;
    await store.addDocuments({ documents: ["east"], ids: ["e"] });
    await store.search("east");
    await store.count();
    const mine = fake.requests.slice(before);
    expect(mine.filter((r) => r.path === "/indexes/vectors")).toHaveLength(1);
    expect(new Set(mine.map((r) => r.apiVersion))).toEqual(new Set(["2026-07"]));
  });

  it.each([
    ["vectors", [1, 0.5, 0]],
    ["dot", [1, 0.5, 0]],
    ["l2", [1, 1 / 3, 1 / 5]],
  ] as const)("converts %s scores to [0, 1]", async (index, expected) => {
    const store = open({ index });
    await store.addDocuments({ documents: ["east", "north", "west"], ids: ["e", "n", "w"] });
    const hits = await store.search("east", { topK: 3 });
    expect(hits.map((h) => h.id)).toEqual(["e", "n", "w"]);
    expect(hits.map((h) => h.score)).toEqual(expected.map((x) => expect.closeTo(x, 6)));
  });

  it("keeps the text in metadata (`text`, or a configured textKey) and returns it as content", async () => {
    const store = open({ namespace: "text-default" });
    await store.addDocuments({ documents: ["east side story"], ids: ["a"], metadatas: [{ k: 1 }] });
    expect(fake.records("vectors", "text-default")[0]?.metadata).toEqual({ k: 1, text: "east side story" });
    const custom = open({ namespace: "text-custom", textKey: "body" });
    await custom.addDocuments({
      documents: ["east again"],
      ids: ["b"],
      metadatas: [{ text: "a user field" }],
    });
    expect(fake.records("vectors", "text-custom")[0]?.metadata).toEqual({
      text: "a user field",
      body: "east again",
    });
    const [hit] = await custom.search("east");
    expect(hit).toMatchObject({ id: "b", content: "east again", metadata: { text: "a user field" } });
    await expect(
      open().addDocuments({ documents: ["east"], metadatas: [{ text: "clash" }] }),
    ).rejects.toThrow(/holds the document text/);
  });

  it("keeps namespaces apart and counts per namespace (default namespace included)", async () => {
    const a = open({ namespace: "apart-a" });
    const b = open({ namespace: "apart-b" });
    const byDefault = open({ namespace: undefined, index: "dot" });
    await a.addDocuments({ documents: ["east", "west"] });
    await b.addDocuments({ documents: ["north"] });
    await byDefault.addDocuments({ documents: ["east", "north", "west"] });
    expect([await a.count(), await b.count(), await byDefault.count()]).toEqual([2, 1, 3]);
    expect((await b.search("east", { topK: 10 })).map((h) => h.content)).toEqual(["north"]);
    expect(fake.records("dot", "__default__")).toHaveLength(3);
  });

  it("splits upserts within 1000 records and 2 MB per request, and deletes within 1000 ids", async () => {
    const namespace = "batches";
    const store = open({ namespace });
    const before = fake.requests.length;
    const documents = Array.from({ length: 2500 }, (_, i) => `east ${i}`);
    const ids = await store.addDocuments({ documents });
    const upserts = fake.requests.slice(before).filter((r) => r.path.endsWith("/vectors/upsert"));
    expect(upserts.map((r) => r.records)).toEqual([1000, 1000, 500]);
    expect(await store.count()).toBe(2500);

    // 30 KB texts: 100 of them are ~3 MB, more than one request may carry.
    const big = open({ namespace: "big" });
    const mark = fake.requests.length;
    await big.addDocuments({
      documents: Array.from({ length: 100 }, (_, i) => `east ${i} ${"x".repeat(30_000)}`),
    });
    const bigUpserts = fake.requests.slice(mark).filter((r) => r.path.endsWith("/vectors/upsert"));
    expect(bigUpserts.length).toBeGreaterThanOrEqual(2);
    expect(bigUpserts.reduce((n, r) => n + (r.records ?? 0), 0)).toBe(100);
    expect(await big.count()).toBe(100);

    const deleteMark = fake.requests.length;
    await store.delete(ids);
    expect(fake.requests.slice(deleteMark).filter((r) => r.path.endsWith("/vectors/delete"))).toHaveLength(3);
    expect(await store.count()).toBe(0);
  });

  it("rejects metadata Pinecone cannot store, before writing anything", async () => {
    const store = open();
    await expect(store.addDocuments({ documents: ["east"], metadatas: [{ nums: [1, 2] }] })).rejects.toThrow(
      /lists of strings only/,
    );
    await expect(
      store.addDocuments({ documents: ["east", "west"], metadatas: [{}, { nested: { a: 1 } as never }] }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(store.addDocuments({ documents: ["east", `west ${"y".repeat(50_000)}`] })).rejects.toThrow(
      /40960 bytes of metadata/,
    );
    expect(await store.count()).toBe(0);
  });

  it("drops null values and empty lists, keeps lists of strings", async () => {
    const store = open();
    await store.addDocuments({
      documents: ["east"],
      ids: ["x"],
      metadatas: [{ a: null, b: [], tags: ["p", "q"] }],
    });
    const [hit] = await store.search("east");
    expect(hit?.metadata).toEqual({ tags: ["p", "q"] });
    expect((await store.search("east", { filters: { tags: "q" } })).map((h) => h.id)).toEqual(["x"]);
  });

  it("rejects vectors of the wrong dimension with a ConfigError naming the index dimension", async () => {
    const store = open({ embedding: async (texts) => texts.map(() => [1, 0, 0]) });
    await expect(store.addDocuments({ documents: ["east"] })).rejects.toThrow(/holds 2-dimensional vectors/);
    await expect(store.search("east")).rejects.toBeInstanceOf(ConfigError);
    await expect(open().addDocuments({ documents: ["east"], embeddings: [[1]] })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it("needs an embedding for an index without integrated embedding", async () => {
    const store = open({ embedding: undefined });
    await expect(store.addDocuments({ documents: ["east"] })).rejects.toThrow(/needs `embedding`/);
    await expect(store.search("east")).rejects.toBeInstanceOf(ConfigError);
    // Explicit vectors need no embedding model.
    await store.addDocuments({ documents: ["east"], embeddings: [[1, 0]] });
    expect(await store.count()).toBe(1);
  });

  it("validates search arguments with ConfigError", async () => {
    const store = open();
    await expect(store.search("")).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("east", { topK: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("east", { topK: 1001 })).rejects.toThrow(/at most 1000/);
    await expect(store.search("east", { filters: { $not: { a: 1 } } as never })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(store.delete([42 as never])).rejects.toBeInstanceOf(ConfigError);
  });

  it("honours an AbortSignal", async () => {
    const store = open();
    await expect(store.search("east", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const controller = new AbortController();
    const slow = open({
      embedding: (texts) =>
        new Promise((resolve) => {
          controller.abort();
          setTimeout(() => resolve(texts.map(() => [1, 0])), 50);
        }),
    });
    await expect(slow.search("east", { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });
});

describe("PineconeStore on an index with integrated embedding (fake Pinecone)", () => {
  it("sends text records, embeds server-side and searches by text, within 96 records per request", async () => {
    const store = open({ index: "integrated", namespace: "int-a", embedding: undefined });
    const mark = fake.requests.length;
    const documents = Array.from(
      { length: 200 },
      (_, i) => `record number ${i} about topic ${i % 3 === 0 ? "alpha" : "beta"}`,
    );
    documents[7] = "a travel guide to Kyoto temples and tea houses";
    await store.addDocuments({
      documents,
      metadatas: documents.map((_, i) => ({ i, kind: i % 3 === 0 ? "alpha" : "beta" })),
    });
    const upserts = fake.requests
      .slice(mark)
      .filter((r) => r.path.includes("/records/namespaces/int-a/upsert"));
    expect(upserts.map((r) => r.records)).toEqual([96, 96, 8]);
    expect(fake.records("integrated", "int-a")[0]?.metadata).toMatchObject({
      chunk_text: documents[0],
      i: 0,
    });
    expect(await store.count()).toBe(200);

    const [hit] = await store.search("Kyoto temples and tea", { topK: 3 });
    expect(hit).toMatchObject({ content: documents[7], metadata: { i: 7, kind: "beta" } });
    expect(hit?.score).toBeGreaterThan(0.5);
    expect(hit?.score).toBeLessThanOrEqual(1);
    const alpha = await store.search("record number", { topK: 100, filters: { kind: { $ne: "beta" } } });
    expect(alpha.length).toBe(67);
    expect(alpha.every((h) => h.metadata.kind === "alpha")).toBe(true);
  });

  it("takes vectors the caller already has as plain vectors, text in the embedded field", async () => {
    const store = open({ index: "integrated", namespace: "int-vectors", embedding: undefined });
    const [vector] = await fakeEmbedding(256)(["a guide to Lisbon trams"]);
    await store.addDocuments({
      documents: ["a guide to Lisbon trams"],
      ids: ["l"],
      embeddings: [vector as number[]],
    });
    expect(fake.records("integrated", "int-vectors")[0]?.metadata).toEqual({
      chunk_text: "a guide to Lisbon trams",
    });
    const [hit] = await store.search("Lisbon trams");
    expect(hit).toMatchObject({ id: "l", content: "a guide to Lisbon trams", metadata: {} });
    await expect(store.addDocuments({ documents: ["x"], embeddings: [[1, 0]] })).rejects.toThrow(
      /holds 256-dimensional vectors/,
    );
  });
});

describe("PineconeStore errors (never leaking the API key)", () => {
  it("needs an API key (option or PINECONE_API_KEY)", () => {
    const saved = process.env.PINECONE_API_KEY;
    delete process.env.PINECONE_API_KEY;
    try {
      expect(() => new PineconeStore({ index: "vectors" })).toThrow(ConfigError);
    } finally {
      if (saved !== undefined) process.env.PINECONE_API_KEY = saved;
    }
    expect(() => new PineconeStore({ apiKey: "k", index: "" })).toThrow(ConfigError);
  });

  it("an unknown index is a ConfigError", async () => {
    await expect(open({ index: "nope" }).count()).rejects.toThrow(/does not exist/);
  });

  it("a wrong API key is a VectorStoreError without the key", async () => {
    const wrongKey = "pc-wrong-key-zyxwvu987654";
    const error = await rejection(open({ apiKey: wrongKey }).count());
    expect(error).toBeInstanceOf(VectorStoreError);
    expect(exposed(error)).not.toContain(wrongKey);
    expect((error as Error).message).toMatch(/API key/);
  });

  it("server errors become retryable VectorStoreErrors; a failed batch reports what was written", async () => {
    const store = open({ batchSize: 10 });
    await store.count(); // describe the index before injecting failures
    fake.failDataPlaneWith = 500;
    fake.failDataPlaneAfter = 2;
    try {
      const error = await rejection(
        store.addDocuments({ documents: Array.from({ length: 35 }, (_, i) => `east ${i}`) }),
      );
      expect(error).toBeInstanceOf(VectorStoreError);
      expect((error as VectorStoreError).retryable).toBe(true);
      expect((error as VectorStoreError).writtenIds).toHaveLength(20);
      expect(exposed(error)).not.toContain(API_KEY);
    } finally {
      fake.failDataPlaneWith = undefined;
    }
    expect(await store.count()).toBe(20);
  });

  it("an unreachable Pinecone is a retryable VectorStoreError without the key", async () => {
    const down = new FakePinecone({ apiKey: API_KEY });
    await down.start();
    const url = down.url;
    await down.stop();
    const error = await rejection(open({ controllerHostUrl: url }).count());
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as VectorStoreError).retryable).toBe(true);
    expect(exposed(error)).not.toContain(API_KEY);
  });
});

describe("PineconeStore.collections: the namespaces of an index", () => {
  it("lists namespaces with their counts (the default one as __default__) and opens one store per name", async () => {
    fake.createIndex({ name: "collections", dimension: 2, metric: "cosine" });
    const collections = PineconeStore.collections({
      apiKey: API_KEY,
      index: "collections",
      embedding: compass,
      controllerHostUrl: fake.url,
    });
    expect(collections.kind).toBe("pinecone");
    expect(await collections.listCollections()).toEqual([]);
    const wiki = collections.open("wiki");
    expect(collections.open("wiki")).toBe(wiki);
    await wiki.addDocuments({ documents: ["east page", "north page"] });
    await collections.open(DEFAULT_NAMESPACE).addDocuments({ documents: ["west default"], ids: ["d1"] });
    expect(await collections.listCollections()).toEqual([
      { name: DEFAULT_NAMESPACE, count: 1 },
      { name: "wiki", count: 2 },
    ]);
    // The default namespace really is Pinecone's default one.
    expect(fake.records("collections").map((r) => r.id)).toEqual(["d1"]);
    expect((await wiki.list!()).documents.map((d) => d.content).sort()).toEqual(["east page", "north page"]);
    expect(() => collections.open("")).toThrow(ConfigError);
    await collections.close();
    expect(collections.open("wiki")).not.toBe(wiki);
  });

  it("list pages past Pinecone's 100 ids per list call", async () => {
    const store = open();
    const documents = Array.from({ length: 230 }, (_, i) => `east record ${i}`);
    await store.addDocuments({ documents, ids: documents.map((_, i) => `r${String(i).padStart(3, "0")}`) });
    const first = await store.list({ limit: 150 });
    expect(first.documents).toHaveLength(150);
    expect(first.documents[0]).toEqual({ id: "r000", content: "east record 0", metadata: {} });
    const second = await store.list({ limit: 150, cursor: first.nextCursor! });
    expect(second.documents.map((d) => d.id)).toEqual(
      Array.from({ length: 80 }, (_, i) => `r${String(150 + i).padStart(3, "0")}`),
    );
    expect(second.nextCursor).toBeNull();
  });
});
