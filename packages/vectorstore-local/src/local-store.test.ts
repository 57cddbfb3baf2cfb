import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, VectorStoreError } from "@deeprecall/core";
import { conformanceCorpus, fakeEmbedding } from "@deeprecall/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Bm25Index } from "./bm25.ts";
import { LocalStore } from "./local-store.ts";
import { encodeWalRecord, WalWriter } from "./storage.ts";
import { TOKENIZER_VERSION, tokenize } from "./tokenize.ts";

let directory: string;
const open: LocalStore[] = [];
const children: ChildProcess[] = [];

function make(options: Partial<ConstructorParameters<typeof LocalStore>[0]> = {}): LocalStore {
  const store = new LocalStore({ directory, ...options });
  open.push(store);
  return store;
}

async function addCorpus(store: LocalStore): Promise<void> {
  await store.addDocuments({
    documents: conformanceCorpus.map((d) => d.content),
    metadatas: conformanceCorpus.map((d) => d.metadata),
    ids: conformanceCorpus.map((d) => d.id),
  });
}

const CHILD = join(import.meta.dirname, "__fixtures__", "child.ts");

/** Starts the fixture child and resolves once it printed a line matching `until`. */
async function startChild(mode: "hold" | "write-loop", until: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD, directory, mode], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk) => {
    err += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (until.test(out)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`child exited early (${code}): ${err}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "deeprecall-local-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const child of children.splice(0)) await kill(child);
  for (const store of open.splice(0)) await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe("tokenize", () => {
  it("lower-cases, normalises, drops stopwords and segments CJK text into words", () => {
    expect(tokenize("The Quick, brown FOX!")).toEqual(["quick", "brown", "fox"]);
    expect(tokenize("Zürich ﬁne")).toEqual(["zürich", "fine"]);
    const japanese = tokenize("東京は日本の首都です");
    expect(japanese).toContain("東京");
    expect(japanese).toContain("日本");
    expect(japanese).not.toContain("東京は日本の首都です");
  });
});

describe("LocalStore options and input", () => {
  it("rejects a missing directory and a bad collection name", () => {
    expect(() => new LocalStore({} as never)).toThrow(ConfigError);
    expect(() => new LocalStore({ directory, collection: "../escape" })).toThrow(ConfigError);
  });

  it("rejects a bad topK", async () => {
    const store = make();
    await addCorpus(store);
    await expect(store.search("bread", { topK: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(store.search("bread", { topK: 2.5 })).rejects.toBeInstanceOf(ConfigError);
  });

  it("persists under <directory>/<collection> and keeps collections apart", async () => {
    const a = make({ collection: "alpha" });
    const b = make({ collection: "beta" });
    await a.addDocuments({ documents: ["alpha only document"] });
    expect(await b.count()).toBe(0);
    expect(readdirSync(directory).sort()).toEqual(["alpha", "beta"]);
    expect(readdirSync(join(directory, "alpha"))).toContain("manifest.json");
  });

  it("fails clearly once closed", async () => {
    const store = make();
    await store.count();
    await store.close();
    await store.close(); // idempotent
    await expect(store.count()).rejects.toBeInstanceOf(VectorStoreError);
  });

  it("honours an abort signal", async () => {
    const store = make();
    await addCorpus(store);
    await expect(store.search("bread", { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe("hybrid retrieval", () => {
  it("scores are reciprocal-rank fused and normalised: rank 1 everywhere = 1", async () => {
    const store = make();
    await addCorpus(store);
    const results = await store.search("PostgreSQL query planner indexes", { topK: 3 });
    expect(results[0]!.id).toBe("doc-postgres");
    expect(results[0]!.score).toBe(1);
    // BM25 only: one retriever, k = 60 -> rank r scores 61 / (60 + r)
    if (results[1]) expect(results[1].score).toBeCloseTo(61 / 62, 12);
  });

  it("finds a document that matches only semantically (through the embedding), not lexically", async () => {
    const docs = {
      documents: [
        "Kubernetes deployments roll out containers gradually.",
        "Sourdough needs a lively starter.",
        "Glaciers carve fjords over millennia.",
      ],
      ids: ["k8s", "bread", "ice"],
    };
    // No shared word with the k8s doc, but shared character trigrams ("kubernete", "deploy").
    const query = "kubernete deploy";
    const lexicalOnly = make({ collection: "lexical" });
    await lexicalOnly.addDocuments(docs);
    expect(await lexicalOnly.search(query)).toEqual([]);

    const hybrid = make({ collection: "hybrid", embedding: fakeEmbedding() });
    await hybrid.addDocuments(docs);
    const results = await hybrid.search(query, { topK: 3 });
    expect(results[0]!.id).toBe("k8s");
    // Ranked first by the dense retriever only: half of the best possible fused score.
    expect(results[0]!.score).toBeCloseTo(0.5, 12);
  });

  it("fusion puts a document found by both retrievers above one found by a single retriever", async () => {
    const store = make({ embedding: fakeEmbedding() });
    await addCorpus(store);
    const [top] = await store.search("how to bake sourdough bread", { topK: 5 });
    expect(top!.id).toBe("doc-bread");
    expect(top!.score).toBe(1);
  });

  it("uses explicitly given embeddings for dense retrieval when the query can be embedded", async () => {
    const embed = fakeEmbedding(128);
    const texts = [
      "Kubernetes deployments roll out containers gradually.",
      "Sourdough needs a lively starter.",
    ];
    const writer = make();
    await writer.addDocuments({ documents: texts, ids: ["k8s", "bread"], embeddings: await embed(texts) });
    await writer.close();
    const reader = make({ embedding: embed });
    expect((await reader.search("kubernete deploy"))[0]!.id).toBe("k8s");
  });

  it("rejects an embedding whose dimension differs from the stored vectors", async () => {
    const writer = make({ embedding: fakeEmbedding(64) });
    await addCorpus(writer);
    await writer.close();
    const reader = make({ embedding: fakeEmbedding(32) });
    const error = await reader.search("bread").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/32.*64/);
    await expect(reader.addDocuments({ documents: ["new doc"] })).rejects.toBeInstanceOf(ConfigError);
    expect(await reader.count()).toBe(conformanceCorpus.length);
  });

  it("filters apply to both retrievers", async () => {
    const store = make({ embedding: fakeEmbedding() });
    await addCorpus(store);
    const results = await store.search("how to bake sourdough bread", {
      topK: 20,
      filters: { topic: "tech" },
    });
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.metadata.topic === "tech")).toBe(true);
  });
});

describe("persistence and crash safety", () => {
  const queries = ["sourdough bread", "travel guide", "PostgreSQL indexes", "guide"];
  const snapshot = async (store: LocalStore) => Promise.all(queries.map((q) => store.search(q, { topK: 5 })));

  it("survives many writes with compaction and returns identical results after reopen", async () => {
    const store = make({ embedding: fakeEmbedding(), compactionThresholdBytes: 2048 });
    await addCorpus(store);
    for (let i = 0; i < 30; i++) {
      await store.addDocuments({
        documents: [`Extra note ${i} about a travel guide to city ${i}`],
        ids: [`extra-${i}`],
      });
      if (i % 3 === 0) await store.delete([`extra-${i}`]);
    }
    await store.addDocuments({ documents: ["Rewritten: a guide to rye bread."], ids: ["doc-bread"] });
    const files = readdirSync(store.path);
    expect(files.some((f) => f.startsWith("docs-"))).toBe(true); // compaction happened
    const before = await snapshot(store);
    const count = await store.count();
    await store.close();
    const reopened = make({ embedding: fakeEmbedding() });
    expect(await reopened.count()).toBe(count);
    expect(await snapshot(reopened)).toEqual(before);
  });

  it("applies a write in memory only after its log append succeeded", async () => {
    const store = make({ embedding: fakeEmbedding() });
    await addCorpus(store);
    const count = await store.count();
    const diskFull = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    const append = vi.spyOn(WalWriter.prototype, "append").mockImplementationOnce(diskFull);
    const failed = await store
      .addDocuments({ documents: ["Zanzibar spice markets at dawn"], ids: ["zanzibar"] })
      .catch((e: unknown) => e);
    expect(VectorStoreError.isInstance(failed)).toBe(true);
    expect((failed as Error).message).toMatch(/ENOSPC/);
    expect(append).toHaveBeenCalledTimes(1);
    // Nothing of the failed write is visible: not counted, not found, not replacing anything.
    expect(await store.count()).toBe(count);
    expect((await store.search("Zanzibar spice markets")).map((r) => r.id)).not.toContain("zanzibar");

    append.mockImplementationOnce(diskFull);
    const bread = conformanceCorpus.find((d) => d.id === "doc-bread")!;
    await expect(store.delete(["doc-bread"])).rejects.toBeInstanceOf(VectorStoreError);
    expect(await store.count()).toBe(count);
    expect((await store.search(bread.content, { topK: 1 }))[0]!.id).toBe("doc-bread");

    // The store keeps working, and what it holds after a reopen is what it showed.
    await store.addDocuments({ documents: ["Zanzibar spice markets at dawn"], ids: ["zanzibar"] });
    await store.close();
    const reopened = make({ embedding: fakeEmbedding() });
    expect(await reopened.count()).toBe(count + 1);
    expect((await reopened.search("Zanzibar spice markets", { topK: 1 }))[0]!.id).toBe("zanzibar");
  });

  it("close() writes a fresh snapshot once the log holds 1 MiB, and leaves a small log as it is", async () => {
    const manifest = () => JSON.parse(readFileSync(join(directory, "deeprecall", "manifest.json"), "utf8"));
    const small = make();
    await small.addDocuments({ documents: ["a short note"], ids: ["short"] });
    await small.close();
    expect(manifest()).toMatchObject({ generation: 0, hasSnapshot: false });

    const store = make();
    const filler = "lorem ipsum dolor sit amet ".repeat(160); // ~4 KiB a document
    await store.addDocuments({
      documents: Array.from({ length: 300 }, (_, i) => `note ${i} ${filler}`),
      ids: Array.from({ length: 300 }, (_, i) => `n${i}`),
    });
    expect(manifest().generation).toBe(0);
    expect(statSync(join(store.path, "wal-0.log")).size).toBeGreaterThan(1024 * 1024);
    await store.close();
    expect(manifest()).toMatchObject({ generation: 1, hasSnapshot: true });
    const files = readdirSync(store.path);
    expect(files).toContain("docs-1.json");
    expect(files).not.toContain("wal-0.log");
    expect(statSync(join(store.path, "wal-1.log")).size).toBe(0);
    const reopened = make();
    expect(await reopened.count()).toBe(301);
    expect((await reopened.search("note 7", { topK: 1 }))[0]!.id).toBe("n7");
  });

  it("ignores a torn log tail and stray temp files: the previous state stays readable", async () => {
    const store = make();
    await addCorpus(store);
    const before = await snapshot(store);
    await store.close();
    const wal = readdirSync(join(directory, "deeprecall")).find((f) => f.startsWith("wal-"))!;
    const walPath = join(directory, "deeprecall", wal);
    const committedSize = statSync(walPath).size;

    // Append a record, then cut it in half, as a crash in the middle of the append would.
    const writer = make();
    await writer.addDocuments({ documents: ["A half written guide that must not appear."], ids: ["torn"] });
    await writer.close();
    const fullSize = statSync(walPath).size;
    truncateSync(walPath, committedSize + Math.floor((fullSize - committedSize) / 2));
    // A crash during compaction leaves temp files and an uncommitted next generation behind.
    writeFileSync(join(directory, "deeprecall", "manifest.json.tmp"), '{"format":1,"generation":9');
    writeFileSync(join(directory, "deeprecall", "docs-99.json.tmp"), "[[");
    writeFileSync(join(directory, "deeprecall", "docs-99.json"), "[]");

    const reopened = make();
    expect(await reopened.count()).toBe(conformanceCorpus.length);
    expect(await snapshot(reopened)).toEqual(before);
    expect(await reopened.search("half written")).toEqual([]);
    expect(
      readdirSync(join(directory, "deeprecall")).filter((f) => f.includes("tmp") || f.includes("-99")),
    ).toEqual([]);
    // The torn tail was cut off, so new writes land on a clean log and persist.
    await reopened.addDocuments({ documents: ["A guide written after the crash."], ids: ["after"] });
    await reopened.close();
    const again = make();
    expect(await again.count()).toBe(conformanceCorpus.length + 1);
    expect((await again.search("written after the crash"))[0]!.id).toBe("after");
  });

  it("detects a corrupted (not just short) record by its checksum", async () => {
    const store = make();
    await addCorpus(store);
    await store.addDocuments({ documents: ["A guide whose record gets corrupted."], ids: ["corrupt"] });
    await store.close();
    const walPath = join(directory, "deeprecall", "wal-0.log");
    const bytes = readFileSync(walPath);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(walPath, bytes);
    appendFileSync(walPath, Buffer.from([1, 2, 3]));
    const reopened = make();
    expect(await reopened.count()).toBe(conformanceCorpus.length);
  });

  it("a process killed in the middle of writing leaves only whole batches behind", async () => {
    const child = await startChild("write-loop", /committed ([3-9]|\d\d+)\n/);
    await kill(child); // SIGKILL: no close(), no cleanup, possibly mid-append or mid-compaction
    const store = make();
    const count = await store.count();
    expect(count).toBeGreaterThanOrEqual(3 * 200);
    expect(count % 200).toBe(0);
    const batches = count / 200;
    const last = await store.search("batch item", { topK: 1000, filters: { batch: batches - 1 } });
    expect(last).toHaveLength(200);
    expect(last.every((r) => r.content.startsWith(`batch ${batches - 1} item `))).toBe(true);
    // The stale lock of the dead writer was taken over; writing works.
    await store.addDocuments({ documents: ["after the crash"], ids: ["after"] });
    expect(await store.count()).toBe(count + 1);
  });
});

describe("locking", () => {
  it("a second process gets a clear error while the first holds the collection", async () => {
    const child = await startChild("hold", /locked\n/);
    const store = make();
    const error = await store.count().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as Error).message).toContain(`process ${child.pid}`);
    expect((error as Error).message).toContain("locked");
    // Once the holder is gone, its lock is stale and is taken over.
    await kill(child);
    const next = make();
    expect(await next.count()).toBe(0);
  });

  it("a second store in the same process gets an error until the first is closed", async () => {
    const first = make();
    await first.count();
    const second = make();
    await expect(second.count()).rejects.toThrow(/another open LocalStore in this process/);
    await first.close();
    // The same store opens once the lock is free (a server keeps its stores for its lifetime).
    expect(await second.count()).toBe(0);
    await second.close();
    const third = make();
    expect(await third.count()).toBe(0);
    expect(JSON.parse(readFileSync(join(directory, "deeprecall", "LOCK"), "utf8")).pid).toBe(process.pid);
  });

  it("close() releases the lock file", async () => {
    const store = make();
    await store.count();
    expect(readdirSync(join(directory, "deeprecall"))).toContain("LOCK");
    await store.close();
    expect(readdirSync(join(directory, "deeprecall"))).not.toContain("LOCK");
  });
});

describe("storage format", () => {
  it("refuses a collection written in an unknown format, naming the format", async () => {
    const path = join(directory, "deeprecall");
    const store = make();
    await addCorpus(store);
    await store.close();
    const manifestPath = join(path, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    expect(manifest.format).toBe(2);
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, format: 99 }));
    const files = readdirSync(path).sort();
    const error = await make()
      .count()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreError);
    expect((error as Error).message).toMatch(/format 99.*newer version/);
    // Nothing was changed or deleted.
    expect(readdirSync(path).sort()).toEqual(files);
    expect(JSON.parse(readFileSync(manifestPath, "utf8")).format).toBe(99);
  });

  it("opens a format 1 collection (MiniSearch index) and rewrites it in the current format", async () => {
    const path = join(directory, "deeprecall");
    mkdirSync(path, { recursive: true });
    // Format 1 layout: docs rows [id, content, metadata, vector row], raw float32 vectors, a
    // MiniSearch JSON index (ignored now) and a log of later writes.
    const rows = [
      ["a", "Sourdough bread needs a lively starter.", { topic: "cooking" }, 0],
      ["b", "Kyoto has many temples and gardens.", { topic: "travel" }, 1],
    ];
    writeFileSync(join(path, "docs-1.json"), JSON.stringify(rows));
    writeFileSync(join(path, "vectors-1.f32"), new Uint8Array(Float32Array.from([1, 0, 0, 1]).buffer));
    writeFileSync(join(path, "lexical-1.json"), '{"documentCount":2}');
    writeFileSync(
      join(path, "wal-1.log"),
      encodeWalRecord({
        op: "add",
        docs: [{ id: "c", content: "Rye bread is dense.", metadata: { topic: "cooking" } }],
      }),
    );
    writeFileSync(
      join(path, "manifest.json"),
      JSON.stringify({ format: 1, generation: 1, dimension: 2, snapshotBytes: 100, hasSnapshot: true }),
    );
    const store = make();
    expect(await store.count()).toBe(3);
    expect((await store.search("bread")).map((r) => r.id).sort()).toEqual(["a", "c"]);
    expect((await store.search("temples", { topK: 1 }))[0]!.id).toBe("b");
    const files = readdirSync(path);
    expect(JSON.parse(readFileSync(join(path, "manifest.json"), "utf8")).format).toBe(2);
    expect(files.filter((f) => f.startsWith("lexical-"))).toEqual(["lexical-2.bin"]);
    await store.close();
    // The vectors came along: a query embedded close to b's vector finds b by the dense retriever.
    const reopened = make({ embedding: async (texts: string[]) => texts.map(() => [0.1, 1]) });
    expect(await reopened.count()).toBe(3);
    expect((await reopened.search("zzz", { topK: 1 }))[0]!.id).toBe("b");
    expect((await reopened.search("dense rye"))[0]!.id).toBe("c");
  });
});

describe("dense retrieval at scale", () => {
  it.each([
    [8, "WebAssembly SIMD"],
    [6, "plain JavaScript"],
  ])(
    "ranks by exact cosine over thousands of %i-dimensional vectors (%s), also after a reopen",
    async (dimension) => {
      const n = 9000;
      let state = 3;
      const random = () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32 - 0.5;
      };
      const vectors = Array.from({ length: n }, () => Array.from({ length: dimension }, random));
      const query = Array.from({ length: dimension }, random);
      const cosine = (a: number[], b: number[]) => {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let i = 0; i < a.length; i++) {
          dot += a[i]! * b[i]!;
          na += a[i]! * a[i]!;
          nb += b[i]! * b[i]!;
        }
        return dot / Math.sqrt(na * nb);
      };
      const ids = vectors.map((_, i) => `v${i}`);
      // Remove a few, so dead rows are skipped and compaction moves rows.
      const removed = new Set(["v0", "v4100", "v8999"]);
      const expected = ids
        .filter((id) => !removed.has(id))
        .map((id) => ({ id, score: cosine(query, vectors[Number(id.slice(1))]!) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10)
        .map((h) => h.id);
      // The query text shares no word with the documents: the ranking is the dense one.
      const embedding = async (texts: string[]) => texts.map(() => query);
      const store = make({ embedding });
      await store.addDocuments({
        documents: ids.map((id) => `document ${id}`),
        ids,
        embeddings: vectors,
      });
      await store.delete([...removed]);
      expect((await store.search("zzz", { topK: 10 })).map((r) => r.id)).toEqual(expected);
      await store.compact();
      expect((await store.search("zzz", { topK: 10 })).map((r) => r.id)).toEqual(expected);
      await store.close();
      const reopened = make({ embedding });
      expect(await reopened.count()).toBe(n - removed.size);
      expect((await reopened.search("zzz", { topK: 10 })).map((r) => r.id)).toEqual(expected);
    },
  );
});

describe("text search in Korean, with emoji and in other scripts", () => {
  const docs = [
    { id: "ko-seoul", content: "서울은 한국의 수도이다. 인구는 약 천만 명이다." },
    { id: "ko-busan", content: "부산은 한국에서 두 번째로 큰 도시이며 항구가 유명하다." },
    { id: "zh", content: "北京是中国的首都。" },
    { id: "ja", content: "東京は日本の首都です。" },
    { id: "ar", content: "القاهرة هي عاصمة مصر وأكبر مدنها." },
    { id: "emoji-rocket", content: "Launch day 🚀 went well, the team cheered ❤️" },
    { id: "emoji-pizza", content: "Friday lunch was 🍕 for everyone 👩‍💻" },
  ];
  const ids = (results: Array<{ id: string }>) => results.map((r) => r.id);

  it("finds Korean words without their particles, emoji, and Chinese, Japanese and Arabic words", async () => {
    const store = make();
    await store.addDocuments({ documents: docs.map((d) => d.content), ids: docs.map((d) => d.id) });
    for (const [query, expected] of [
      ["서울", "ko-seoul"],
      ["수도", "ko-seoul"],
      ["서울의 인구", "ko-seoul"],
      ["부산", "ko-busan"],
      ["항구", "ko-busan"],
      ["🚀", "emoji-rocket"],
      ["❤", "emoji-rocket"],
      ["🍕", "emoji-pizza"],
      ["👩‍💻", "emoji-pizza"],
      ["首都 北京", "zh"],
      ["東京", "ja"],
      ["القاهرة", "ar"],
    ] as const) {
      expect(ids(await store.search(query, { topK: 1 })), query).toEqual([expected]);
    }
    // 한국 is in both Korean documents (한국의, 한국에서), and in nothing else.
    expect(ids(await store.search("한국", { topK: 10 })).sort()).toEqual(["ko-busan", "ko-seoul"]);
    // A query with the particle still finds the word without it.
    await store.addDocuments({ documents: ["대전 과학 도시"], ids: ["ko-daejeon"] });
    expect(ids(await store.search("대전은", { topK: 1 }))).toEqual(["ko-daejeon"]);
  });

  it("a collection indexed by an older tokenizer is re-indexed when opened", async () => {
    const store = make();
    await store.addDocuments({ documents: docs.map((d) => d.content), ids: docs.map((d) => d.id) });
    await store.compact();
    await store.close();
    const path = join(directory, "deeprecall");
    const manifest = JSON.parse(readFileSync(join(path, "manifest.json"), "utf8"));
    expect(manifest.tokenizer).toBe(TOKENIZER_VERSION);
    // Replace the lexical index by one whose terms match nothing: as if built by another tokenizer.
    const stale = new Bm25Index();
    for (let slot = 0; slot < docs.length; slot++) stale.add(slot, ["stale"]);
    const lexicalFile = join(path, `lexical-${manifest.generation}.bin`);
    writeFileSync(lexicalFile, Buffer.concat([...stale.serializeParts()]));

    // Same tokenizer version: the stored index is trusted (and finds nothing).
    const trusted = make();
    expect(await trusted.search("서울", { topK: 1 })).toEqual([]);
    await trusted.close();
    // An older version: rebuilt from the documents on open.
    const { tokenizer: _, ...older } = manifest;
    writeFileSync(join(path, "manifest.json"), JSON.stringify(older));
    const reopened = make();
    expect(ids(await reopened.search("서울", { topK: 1 }))).toEqual(["ko-seoul"]);
    expect(JSON.parse(readFileSync(join(path, "manifest.json"), "utf8")).tokenizer).toBe(TOKENIZER_VERSION);
  });
});

describe("several collections in one directory", () => {
  it("listCollections names every collection with its count, even one another store holds open", async () => {
    expect(await LocalStore.listCollections(join(directory, "missing"))).toEqual([]);
    const wiki = make({ collection: "wiki" });
    await wiki.addDocuments({ documents: ["a", "b", "c"].map((x) => `page ${x}`) });
    const contracts = make({ collection: "contracts" });
    await contracts.addDocuments({ documents: ["contract one"], ids: ["c1"] });
    await contracts.compact();
    await contracts.addDocuments({ documents: ["contract two", "contract one again"], ids: ["c2", "c1"] });
    await contracts.delete(["c2"]);
    mkdirSync(join(directory, "not-a-collection"));
    // wiki and contracts are still open (locked): read from disk without their locks.
    expect(await LocalStore.listCollections(directory)).toEqual([
      { name: "contracts", count: 1 },
      { name: "wiki", count: 3 },
    ]);
  });

  it("collections() opens one store per name, shares it until closed, and counts through it", async () => {
    const collections = LocalStore.collections({ directory });
    expect(collections.kind).toBe("local");
    const a = collections.open("alpha");
    expect(collections.open("alpha")).toBe(a);
    await a.addDocuments({ documents: ["first alpha doc", "second alpha doc"] });
    await collections.open("beta").addDocuments({ documents: ["only beta doc"] });
    expect(await collections.listCollections()).toEqual([
      { name: "alpha", count: 2 },
      { name: "beta", count: 1 },
    ]);
    expect((await a.search("beta", { topK: 5 })).length).toBe(0);
    await a.close?.();
    const again = collections.open("alpha");
    expect(again).not.toBe(a);
    expect(await again.count()).toBe(2);
    await collections.close();
    // Everything was closed: the locks are free for another store.
    const other = make({ collection: "alpha" });
    expect(await other.count()).toBe(2);
    expect(() => collections.open("../escape")).toThrow(ConfigError);
  });
});
