import { createRequire } from "node:module";
import { AbortError, ConfigError, VectorStoreError } from "@deeprecall/core";
import { ChromaClient } from "chromadb";
import { afterAll, describe, expect, inject, it } from "vitest";
import { findChromaBinary, freePort, type RunningChroma, startChroma } from "./__fixtures__/chroma-server.ts";
import { ChromaStore } from "./chroma-store.ts";
import { DEFAULT_EMBED_PACKAGE } from "./default-embedding.ts";
import { chromaDistance, distanceToScore } from "./scores.ts";

const url = inject("chromaUrl");
// Non-empty when no Chroma server can run here (outside CI): the suites that need one are skipped.
const chromaSkip = inject("chromaSkip");
let counter = 0;
const uniqueName = (label: string) => `${label}-${process.pid}-${Date.now()}-${counter++}`;
const opened: ChromaStore[] = [];
/** Maps the words "east", "north", "west" to fixed unit vectors; anything else to a mix. */
const compass = async (texts: string[]) =>
  texts.map((t) =>
    t.includes("east") ? [1, 0] : t.includes("north") ? [0, 1] : t.includes("west") ? [-1, 0] : [0.6, 0.8],
  );
const open = (options: Partial<ConstructorParameters<typeof ChromaStore>[0]> = {}) => {
  const store = new ChromaStore({ url, collection: uniqueName("store"), embedding: compass, ...options });
  opened.push(store);
  return store;
};
const chromaClient = () => {
  const { hostname, port } = new URL(url);
  return new ChromaClient({ host: hostname, port: Number(port) });
};

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe("distanceToScore", () => {
  it("maps each space's distance range onto [0, 1], best = 1", () => {
    expect(distanceToScore(0, "cosine")).toBe(1);
    expect(distanceToScore(1, "cosine")).toBe(0.5);
    expect(distanceToScore(2, "cosine")).toBe(0);
    expect(distanceToScore(0, "l2")).toBe(1);
    expect(distanceToScore(3, "l2")).toBe(0.25);
    expect(distanceToScore(-5, "ip")).toBe(1);
    expect(distanceToScore(9, "ip")).toBe(0);
    expect(distanceToScore(null, "cosine")).toBe(0);
  });

  it("chromaDistance gives Chroma's distances: 1 - cos, 1 - a·b, squared L2", () => {
    expect(chromaDistance("cosine", [1, 0], [0, 2])).toBeCloseTo(1, 10);
    expect(chromaDistance("cosine", [1, 1], [2, 2])).toBeCloseTo(0, 10);
    expect(chromaDistance("cosine", [1, 0], [-3, 0])).toBeCloseTo(2, 10);
    expect(chromaDistance("cosine", [0, 0], [1, 0])).toBe(1);
    expect(chromaDistance("ip", [0.6, 0.8], [0.6, 0.8])).toBeCloseTo(0, 10);
    expect(chromaDistance("l2", [1, 2], [4, 6])).toBe(25);
  });
});

describe.skipIf(chromaSkip)(`ChromaStore against a real Chroma server${chromaSkip}`, () => {
  it("creates its collection on demand, in cosine space", async () => {
    const store = open();
    const client = chromaClient();
    await expect(client.getCollection({ name: store.collectionName })).rejects.toThrow();
    expect(await store.count()).toBe(0);
    const collection = await client.getCollection({ name: store.collectionName });
    expect(collection.configuration.hnsw?.space).toBe("cosine");
  });

  it("converts cosine distances to (1 + cos) / 2", async () => {
    const store = open();
    await store.addDocuments({ documents: ["east", "north", "west"], ids: ["e", "n", "w"] });
    const hits = await store.search("east", { topK: 3 });
    expect(hits.map((h) => h.id)).toEqual(["e", "n", "w"]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits[1]?.score).toBeCloseTo(0.5, 5);
    expect(hits[2]?.score).toBeCloseTo(0, 5);
  });

  it("converts squared-L2 distances to 1 / (1 + d) in an l2 collection", async () => {
    const store = open({ space: "l2" });
    await store.addDocuments({ documents: ["east", "north", "west"], ids: ["e", "n", "w"] });
    const hits = await store.search("east", { topK: 3 });
    expect(hits.map((h) => h.id)).toEqual(["e", "n", "w"]);
    // squared distances from (1,0): 0, 2, 4
    expect(hits.map((h) => h.score)).toEqual([1, 1 / 3, 1 / 5].map((x) => expect.closeTo(x, 5)));
  });

  it("a filtered search Chroma's index answers short is ranked exactly, with Chroma's own scores", async () => {
    for (const space of ["cosine", "l2"] as const) {
      const store = open({ space });
      const documents = ["east", "north", "west", "east north", "south west"];
      await store.addDocuments({
        documents,
        ids: documents.map((_, i) => `d${i}`),
        metadatas: documents.map((_, i) => ({ i, odd: i % 2 === 1 })),
      });
      const unfiltered = await store.search("east", { topK: 5 });
      // The filter matches 3 records, fewer than topK: the exact ranking answers.
      const filtered = await store.search("east", { topK: 5, filters: { odd: false } });
      const expected = unfiltered.filter((h) => h.metadata.odd === false);
      expect(filtered.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      filtered.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(expected[i]!.score, 5);
        expect(hit.content).toBe(expected[i]!.content);
        expect(hit.metadata).toEqual(expected[i]!.metadata);
      });
      // One record matched out of several: found, whatever the index would have done.
      const one = await store.search("west", { topK: 3, filters: { i: 1 } });
      expect(one.map((h) => h.id)).toEqual(["d1"]);
    }
  });

  it("uses the space of an existing collection, not its own option", async () => {
    const name = uniqueName("existing-l2");
    await open({ collection: name, space: "l2" }).addDocuments({ documents: ["west"], ids: ["w"] });
    const reopened = open({ collection: name, space: "cosine" });
    const [hit] = await reopened.search("east", { topK: 1 });
    expect(hit?.score).toBeCloseTo(1 / 5, 5);
  });

  it("returns content and metadata, and re-adding an id replaces the record (stale keys removed)", async () => {
    const store = open();
    await store.addDocuments({
      documents: ["east one"],
      ids: ["x"],
      metadatas: [{ a: 1, b: "old", tags: ["p", "q"] }],
    });
    await store.addDocuments({ documents: ["east two"], ids: ["x"], metadatas: [{ a: 2 }] });
    expect(await store.count()).toBe(1);
    const [hit] = await store.search("east", { topK: 5 });
    expect(hit).toMatchObject({ id: "x", content: "east two", metadata: { a: 2 } });
    expect(hit?.metadata).not.toHaveProperty("b");
    await store.addDocuments({ documents: ["east three"], ids: ["x"] });
    const [again] = await store.search("east", { topK: 5 });
    expect(again).toMatchObject({ id: "x", content: "east three", metadata: {} });
  });

  it("splits writes and deletes into batches (batchSize 7, 50 documents)", async () => {
    const store = open({ batchSize: 7 });
    const ids = Array.from({ length: 50 }, (_, i) => `b${i}`);
    const returned = await store.addDocuments({ documents: ids.map((id) => `east ${id}`), ids });
    expect(returned).toEqual(ids);
    expect(await store.count()).toBe(50);
    await store.delete(ids.slice(0, 30));
    expect(await store.count()).toBe(20);
  });

  it("writes more documents than the server's max batch size in one call", async () => {
    const client = chromaClient();
    const max = await client.getMaxBatchSize();
    const n = max + 17;
    const store = open({ embedding: async (texts) => texts.map((_, i) => [1, i / n]) });
    const ids = await store.addDocuments({ documents: Array.from({ length: n }, (_, i) => `doc ${i}`) });
    expect(new Set(ids).size).toBe(n);
    expect(await store.count()).toBe(n);
  });

  // Needs a `chroma` binary to start and restart its own server; with CHROMA_URL and no binary
  // there is nothing to restart: the test is then reported as skipped, and its name says why.
  const canRestart = !process.env.CHROMA_URL || findChromaBinary() !== undefined;
  it.runIf(canRestart)(
    "persists through a server restart on the same data directory (skipped only when CHROMA_URL is set and no chroma binary exists)",
    async () => {
      const { mkdtemp, rm } = await import("node:fs/promises");
      const { tmpdir } = await import("node:os");
      const { join } = await import("node:path");
      const dataDir = await mkdtemp(join(tmpdir(), "deeprecall-chroma-persist-"));
      let server: RunningChroma | undefined;
      try {
        server = await startChroma({ dataDir });
        const first = new ChromaStore({ url: server.url, collection: "persist", embedding: compass });
        await first.addDocuments({
          documents: ["east", "north"],
          ids: ["e", "n"],
          metadatas: [{ k: 1 }, { k: 2 }],
        });
        const before = await first.search("east", { topK: 2 });
        await server.stop();
        server = await startChroma({ dataDir });
        const second = new ChromaStore({ url: server.url, collection: "persist", embedding: compass });
        expect(await second.count()).toBe(2);
        expect(await second.search("east", { topK: 2 })).toEqual(before);
      } finally {
        await server?.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );

  it("rejects vectors whose dimension differs from the collection's, writing nothing", async () => {
    const name = uniqueName("dims");
    await open({ collection: name }).addDocuments({ documents: ["east"], ids: ["e"] });
    const wrong = open({ collection: name, embedding: async (texts) => texts.map(() => [1, 0, 0]) });
    await expect(wrong.addDocuments({ documents: ["other"], ids: ["o"] })).rejects.toThrow(
      /holds 2-dimensional vectors but .* have 3 dimensions/,
    );
    await expect(wrong.search("east")).rejects.toBeInstanceOf(ConfigError);
    expect(await wrong.count()).toBe(1);
  });

  it("rejects metadata Chroma cannot store before writing anything", async () => {
    const store = open();
    await expect(
      store.addDocuments({
        documents: ["east", "west"],
        metadatas: [{ ok: 1 }, { nested: { a: 1 } as never }],
      }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(
      store.addDocuments({ documents: ["east"], metadatas: [{ mixed: [1, "a"] }] }),
    ).rejects.toThrow(/one scalar type/);
    expect(await store.count()).toBe(0);
  });

  it("matches array metadata by membership, like matchesFilter", async () => {
    const store = open();
    await store.addDocuments({
      documents: ["east a", "east b", "east c"],
      ids: ["a", "b", "c"],
      metadatas: [{ tags: ["x", "y"] }, { tags: ["y"] }, { tags: "x" }],
    });
    const ids = async (filters: object) =>
      (await store.search("east", { topK: 10, filters: filters as never })).map((h) => h.id).sort();
    expect(await ids({ tags: "x" })).toEqual(["a", "c"]);
    expect(await ids({ tags: { $ne: "x" } })).toEqual(["b"]);
  });

  it("validates search arguments with ConfigError", async () => {
    const store = open();
    await expect(store.search("")).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("east", { topK: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("east", { topK: 1.5 })).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("east", { filters: { $not: { a: 1 } } as never })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(store.delete("e" as never)).rejects.toBeInstanceOf(ConfigError);
  });

  it("honours an AbortSignal", async () => {
    const store = open();
    await store.addDocuments({ documents: ["east"], ids: ["e"] });
    await expect(store.search("east", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const controller = new AbortController();
    const slow = open({
      collection: store.collectionName,
      embedding: (texts) =>
        new Promise((resolve) => {
          controller.abort();
          setTimeout(() => resolve(texts.map(() => [1, 0])), 50);
        }),
    });
    await expect(slow.search("east", { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it("fails clearly after close()", async () => {
    const store = open();
    await store.close();
    await expect(store.count()).rejects.toThrow(/closed/);
  });
});

describe.skipIf(chromaSkip)(`ChromaStore.collections: every collection of a server${chromaSkip}`, () => {
  it("lists collections with their counts and opens one store per name", async () => {
    const collections = ChromaStore.collections({ url, embedding: compass });
    expect(collections.kind).toBe("chroma");
    const [first, second] = [uniqueName("wiki"), uniqueName("contracts")];
    const wiki = collections.open(first);
    expect(collections.open(first)).toBe(wiki);
    await wiki.addDocuments({ documents: ["east page", "north page", "west page"] });
    await collections.open(second).addDocuments({ documents: ["east contract"], ids: ["c1"] });
    const listed = await collections.listCollections();
    expect(listed).toContainEqual({ name: first, count: 3 });
    expect(listed).toContainEqual({ name: second, count: 1 });
    const names = listed.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    // Collections are separate stores.
    expect((await wiki.search("east contract", { topK: 10 })).map((r) => r.content)).not.toContain(
      "east contract",
    );
    await collections.close();
    expect(collections.open(first)).not.toBe(wiki);
    await collections.close();
    for (const name of [first, second]) await chromaClient().deleteCollection({ name });
    expect((await collections.listCollections()).map((c) => c.name)).not.toContain(first);
  });

  it("a name Chroma refuses is a ConfigError naming the rule, before any request", () => {
    // A 502 naming no rule came from the server's first write before.
    const collections = ChromaStore.collections({ url: "http://127.0.0.1:9", embedding: compass });
    for (const name of ["a", "ab..cd", "wiki-"]) {
      const attempt = () => collections.open(name);
      expect(attempt, name).toThrow(ConfigError);
      expect(attempt, name).toThrow(
        `Invalid collection name ${JSON.stringify(name)}: Chroma collection names`,
      );
    }
    expect(() => collections.open("abc")).not.toThrow();
  });

  it("an unreachable server is a VectorStoreError naming the URL", async () => {
    const collections = ChromaStore.collections({ url: "http://127.0.0.1:9" });
    await expect(collections.listCollections()).rejects.toThrow(
      /Cannot reach the Chroma server at http:\/\/127\.0\.0\.1:9/,
    );
  });
});

describe("ChromaStore with no server", () => {
  it("throws VectorStoreError naming the URL, without the credentials in it", async () => {
    const port = await freePort();
    const store = new ChromaStore({
      url: `http://admin:s3cret-pass@127.0.0.1:${port}`,
      collection: "down",
      embedding: compass,
      headers: { "x-chroma-token": "tok-abcdef-123" },
    });
    for (const attempt of [
      () => store.count(),
      () => store.addDocuments({ documents: ["east"] }),
      () => store.search("east"),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VectorStoreError);
      const text = `${(error as Error).message} ${(error as VectorStoreError).store} ${JSON.stringify(error)}`;
      expect(text).toContain(`http://127.0.0.1:${port}`);
      expect(text).not.toContain("s3cret");
      expect(text).not.toContain("admin");
      expect(text).not.toContain("tok-abcdef-123");
      expect((error as VectorStoreError).retryable).toBe(true);
    }
  });

  it("rejects bad options with ConfigError", () => {
    expect(() => new ChromaStore({ collection: "" })).toThrow(ConfigError);
    expect(() => new ChromaStore({ collection: "c", url: "not a url" })).toThrow(ConfigError);
    expect(() => new ChromaStore({ collection: "c", url: "ftp://x" })).toThrow(ConfigError);
    expect(() => new ChromaStore({ collection: "c", space: "dot" as never })).toThrow(ConfigError);
    expect(() => new ChromaStore({ collection: "c", batchSize: 0 })).toThrow(ConfigError);
  });
});

describe.skipIf(chromaSkip)(
  `ChromaStore without an embedding (Chroma's default embedding function)${chromaSkip}`,
  () => {
    const installed = (() => {
      try {
        createRequire(import.meta.url).resolve(DEFAULT_EMBED_PACKAGE);
        return true;
      } catch {
        return false;
      }
    })();

    it.runIf(!installed)(
      `fails with a ConfigError naming ${DEFAULT_EMBED_PACKAGE} when it is not installed, writing nothing`,
      async () => {
        const store = open({ embedding: undefined });
        const error = await store.addDocuments({ documents: ["hello"] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain(DEFAULT_EMBED_PACKAGE);
        expect((error as Error).message).toMatch(/pass `embedding`/);
        await expect(store.search("hello")).rejects.toBeInstanceOf(ConfigError);
        expect(await store.count()).toBe(0);
        // Vectors given by the caller need no embedding function.
        await store.addDocuments({ documents: ["given"], embeddings: [[0.1, 0.2]] });
        expect(await store.count()).toBe(1);
      },
    );

    it.runIf(installed)(
      `embeds with ${DEFAULT_EMBED_PACKAGE}, or fails with a ConfigError when its model cannot load`,
      async () => {
        const store = open({ embedding: undefined });
        const outcome = await store.addDocuments({ documents: ["hello world"], ids: ["h"] }).then(
          () => "ok",
          (e: unknown) => e,
        );
        if (outcome === "ok") {
          expect((await store.search("hello"))[0]?.id).toBe("h");
        } else {
          expect(outcome).toBeInstanceOf(ConfigError);
          expect(await store.count()).toBe(0);
        }
      },
    );
  },
);
