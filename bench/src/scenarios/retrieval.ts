import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { VectorStore } from "@deeprecall/core";
import { fakeEmbedding } from "@deeprecall/test-utils";
import { ChromaStore } from "@deeprecall/vectorstore-chroma";
import { LocalStore } from "@deeprecall/vectorstore-local";
import type { BenchContext, Goal, ScenarioReport } from "../context.ts";
import { syntheticCorpus } from "../corpus.ts";
import { ensureChroma, startChroma } from "../peers.ts";
import { fmt, type Summary, summarize } from "../stats.ts";
import { barChart } from "../svg.ts";

const DIM = 384;
const BATCH = 1000;
const QUERIES = 200;
const WARMUP_QUERIES = 20;

interface StoreResult {
  store: string;
  documents: number;
  ingestSeconds: number;
  docsPerSecond: number;
  reopenMs: number | null;
  search: Summary;
  /** Top-10 ids overlap with the dense reference (Chroma), averaged over the queries. */
  count: number;
}

type Corpus = ReturnType<typeof syntheticCorpus>;

async function ingest(
  store: VectorStore,
  corpus: Corpus,
  embeddings: number[][],
  n: number,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const end = Math.min(n, i + BATCH);
    await store.addDocuments({
      documents: corpus.documents.slice(i, end),
      metadatas: corpus.metadatas.slice(i, end),
      ids: corpus.ids.slice(i, end),
      embeddings: embeddings.slice(i, end),
    });
  }
  return (performance.now() - started) / 1000;
}

async function searchLatency(store: VectorStore, queries: string[]): Promise<Summary> {
  for (let i = 0; i < WARMUP_QUERIES; i++) await store.search(queries[i % queries.length]!, { topK: 10 });
  const times: number[] = [];
  for (const query of queries) {
    const t0 = performance.now();
    const hits = await store.search(query, { topK: 10 });
    times.push(performance.now() - t0);
    if (hits.length === 0) throw new Error(`${store.name}: no hits for "${query}"`);
  }
  return summarize(times);
}

export async function runRetrievalScenario(ctx: BenchContext): Promise<ScenarioReport> {
  ctx.log("scenario 3: retrieval");
  const tiers = process.env.BENCH_100K === "1" ? [10_000, 100_000] : [10_000];
  const maxN = Math.max(...tiers);
  const corpus = syntheticCorpus(maxN, QUERIES);
  const embedding = fakeEmbedding(DIM);
  const embeddings = await embedding(corpus.documents);
  const results: StoreResult[] = [];
  const notes: string[] = [];

  const chroma = await ensureChroma(ctx.log);
  if (chroma.ok) ctx.versions["chromadb (Python server)"] = chroma.version;
  else notes.push(`Chroma could not be run: ${chroma.reason}`);

  for (const n of tiers) {
    // Local store, hybrid (BM25 + dense, fused by RRF): the default configuration.
    const dir = join(ctx.outDir, `local-${n}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const writer = new LocalStore({ directory: dir, collection: "bench", embedding });
    const ingestSeconds = await ingest(writer, corpus, embeddings, n);
    const count = await writer.count();
    await writer.close();
    const reopenStart = performance.now();
    const hybrid = new LocalStore({ directory: dir, collection: "bench", embedding });
    await hybrid.count(); // forces the load from disk
    const reopenMs = performance.now() - reopenStart;
    const hybridSearch = await searchLatency(hybrid, corpus.queries);
    await hybrid.close();
    results.push({
      store: "LocalStore (hybrid BM25 + dense)",
      documents: n,
      ingestSeconds,
      docsPerSecond: n / ingestSeconds,
      reopenMs,
      search: hybridSearch,
      count,
    });
    const lexical = new LocalStore({ directory: dir, collection: "bench" });
    const lexicalSearch = await searchLatency(lexical, corpus.queries);
    await lexical.close();
    results.push({
      store: "LocalStore (BM25 only, no embedding)",
      documents: n,
      ingestSeconds: Number.NaN,
      docsPerSecond: Number.NaN,
      reopenMs: null,
      search: lexicalSearch,
      count,
    });
    ctx.log(
      `  local ${n}: ingest ${fmt(n / ingestSeconds)} docs/s, hybrid p50 ${hybridSearch.p50.toFixed(2)} ms, BM25 p50 ${lexicalSearch.p50.toFixed(2)} ms`,
    );
    await rm(dir, { recursive: true, force: true });

    if (chroma.ok) {
      const dataDir = join(ctx.outDir, `chroma-${n}`);
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      const server = await startChroma(chroma.path, dataDir);
      try {
        const store = new ChromaStore({ url: server.url, collection: `bench-${n}`, embedding });
        const seconds = await ingest(store, corpus, embeddings, n);
        const chromaCount = await store.count();
        const search = await searchLatency(store, corpus.queries);
        await store.close();
        results.push({
          store: "Chroma server (HNSW, via ChromaStore)",
          documents: n,
          ingestSeconds: seconds,
          docsPerSecond: n / seconds,
          reopenMs: null,
          search,
          count: chromaCount,
        });
        ctx.log(`  chroma ${n}: ingest ${fmt(n / seconds)} docs/s, p50 ${search.p50.toFixed(2)} ms`);
      } finally {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }

  const goals: Goal[] = [];
  const local100k = results.find((r) => r.documents === 100_000 && r.store.startsWith("LocalStore (hybrid"));
  const bm25100k = results.find((r) => r.documents === 100_000 && r.store.startsWith("LocalStore (BM25"));
  if (local100k && bm25100k) {
    goals.push(
      {
        scenario: "3. Retrieval",
        goal: "local hybrid top-10 at 100k ≤ 50 ms p50",
        measured: `${local100k.search.p50.toFixed(1)} ms`,
        met: local100k.search.p50 <= 50,
      },
      {
        scenario: "3. Retrieval",
        goal: "local BM25-only top-10 at 100k ≤ 20 ms p50",
        measured: `${bm25100k.search.p50.toFixed(1)} ms`,
        met: bm25100k.search.p50 <= 20,
      },
      {
        scenario: "3. Retrieval",
        goal: "local ingest (embeddings given) ≥ 5,000 docs/s at 100k",
        measured: `${fmt(local100k.docsPerSecond)} docs/s`,
        met: local100k.docsPerSecond >= 5000,
      },
      {
        scenario: "3. Retrieval",
        goal: "local reopen from disk ≤ 2 s at 100k",
        measured: `${fmt((local100k.reopenMs ?? Number.NaN) / 1000, 2)} s`,
        met: (local100k.reopenMs ?? Number.POSITIVE_INFINITY) <= 2000,
      },
    );
  } else {
    goals.push({
      scenario: "3. Retrieval",
      goal: "local store goals at 100k docs (issue 3)",
      measured: "100k tier not run (set BENCH_100K=1)",
      met: null,
    });
  }

  const markdown = [
    `Synthetic corpus: ~40-word documents from a Zipf-distributed 20,000-word vocabulary, ${DIM}-dimension vectors from \`fakeEmbedding(${DIM})\` (@deeprecall/test-utils), the same vectors given to both stores in batches of ${BATCH}.`,
    `Search: ${QUERIES} four-word queries, top-10, one at a time after ${WARMUP_QUERIES} warm-up queries; the query vector is computed client-side by the same embedding function for both stores. Times in ms. Both stores persist to disk (Chroma: \`chroma run --path\`).`,
    tiers.includes(100_000)
      ? ""
      : "The 100,000-document tier takes several minutes (mostly Chroma's ingest) and runs only with `BENCH_100K=1`.",
    "",
    "| Store | Documents | Ingest docs/s | Reopen ms | Search p50 | Search p99 | Count after ingest |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.store} | ${fmt(r.documents)} | ${fmt(r.docsPerSecond)} | ${r.reopenMs === null ? "–" : fmt(r.reopenMs)} | ${fmt(r.search.p50, 2)} | ${fmt(r.search.p99, 2)} | ${fmt(r.count)} |`,
    ),
    "",
    "Not the same search: LocalStore's hybrid mode runs BM25 and an exact (brute-force) dense scan and fuses them; Chroma runs an approximate HNSW dense search over HTTP. Ingest includes the stores' own persistence (LocalStore: write-then-rename and fsync; Chroma: its WAL and index).",
    ...notes.map((n) => `**${n}**`),
  ].join("\n");
  const chartTier = Math.max(...tiers);
  const chart = barChart({
    title: `Top-10 search latency at ${fmt(chartTier)} documents (p50, lower is better)`,
    unit: "ms",
    series: ["p50", "p99"],
    groups: results
      .filter((r) => r.documents === chartTier)
      .map((r) => ({
        label: `${r.store.replace(/ \(.*/, "")} ${r.store.match(/\((.*)\)/)?.[1]?.split(",")[0] ?? ""}`,
        values: [r.search.p50, r.search.p99],
      })),
    decimals: 2,
  });
  return {
    id: "retrieval",
    title: "3. Retrieval: LocalStore vs Chroma",
    markdown,
    goals,
    charts: [{ file: "benchmarks-retrieval.svg", title: "Retrieval latency", svg: chart }],
    raw: { results, notes },
  };
}
