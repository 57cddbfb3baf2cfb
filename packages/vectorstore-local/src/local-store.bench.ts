// Benchmarks: `pnpm --filter @deeprecall/vectorstore-local bench`.
// BENCH_DOCS (default 10000) documents of ~40 words from a Zipf-distributed vocabulary, with
// 384-dimensional vectors (fakeEmbedding(384)) given to addDocuments.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeEmbedding } from "@deeprecall/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LocalStore } from "./local-store.ts";

const N = Number(process.env.BENCH_DOCS ?? 10_000);
const DIM = 384;
const BATCH = 1000;
const embedding = fakeEmbedding(DIM);

let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const VOCABULARY = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}x`);
const zipfWord = () => VOCABULARY[Math.floor(VOCABULARY.length ** random()) - 1]!;
const sentence = (words: number) => Array.from({ length: words }, zipfWord).join(" ");

const documents = Array.from({ length: N }, () => sentence(40));
const metadatas = documents.map((_, i) => ({ i, shard: i % 10 }));
const queries = Array.from({ length: 200 }, () => sentence(4));

let directory: string;
let embeddings: number[][];
let hybrid: LocalStore;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "deeprecall-bench-"));
  embeddings = await embedding(documents);
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  const writer = new LocalStore({ directory, collection: "bench" });
  for (let i = 0; i < N; i += BATCH) {
    await writer.addDocuments({
      documents: documents.slice(i, i + BATCH),
      metadatas: metadatas.slice(i, i + BATCH),
      embeddings: embeddings.slice(i, i + BATCH),
    });
  }
  const ingestSeconds = (performance.now() - started) / 1000;
  const rssGrowth = process.memoryUsage().rss - rss;
  await writer.close();
  const reopenStarted = performance.now();
  hybrid = new LocalStore({ directory, collection: "bench", embedding });
  await hybrid.open();
  const reopenMs = performance.now() - reopenStarted;
  console.log(
    `[local-store bench] ${N} docs x ${DIM} dims: ingest ${(N / ingestSeconds).toFixed(0)} docs/s ` +
      `(${ingestSeconds.toFixed(2)} s, incl. fsync + compaction), reopen ${reopenMs.toFixed(0)} ms, ` +
      `RSS growth during ingest ${(rssGrowth / 1e6).toFixed(0)} MB (raw vectors ${((N * DIM * 4) / 1e6).toFixed(0)} MB, ` +
      `text ${(documents.reduce((sum, d) => sum + d.length, 0) / 1e6).toFixed(0)} MB)`,
  );
  expect(await hybrid.count()).toBe(N);
}, 600_000);

afterAll(async () => {
  await hybrid?.close();
  await rm(directory, { recursive: true, force: true });
});

let q = 0;
const nextQuery = () => queries[q++ % queries.length]!;

test("top-10 search", async ({ bench }) => {
  const results = await bench.compare(
    bench("hybrid (BM25 + dense, RRF)", async () => {
      await hybrid.search(nextQuery(), { topK: 10 });
    }),
    bench("hybrid with a metadata filter", async () => {
      await hybrid.search(nextQuery(), { topK: 10, filters: { shard: { $in: [1, 2, 3] } } });
    }),
    { time: 3000, iterations: 50 },
  );
  for (const name of ["hybrid (BM25 + dense, RRF)", "hybrid with a metadata filter"] as const) {
    const r = results.get(name);
    console.log(
      `[local-store bench] ${name}: median ${r.latency.p50?.toFixed(2)} ms, p99 ${r.latency.p99?.toFixed(2)} ms`,
    );
  }
}, 600_000);

test("top-10 BM25-only search", async ({ bench }) => {
  const lexical = new LocalStore({ directory, collection: "bench" });
  await hybrid.close();
  const r = await bench("BM25 only", async () => {
    await lexical.search(nextQuery(), { topK: 10 });
  }).run({ time: 3000, iterations: 50 });
  console.log(
    `[local-store bench] BM25 only: median ${r.latency.p50?.toFixed(2)} ms, p99 ${r.latency.p99?.toFixed(2)} ms`,
  );
  await lexical.close();
  hybrid = new LocalStore({ directory, collection: "bench", embedding });
}, 600_000);
