import { readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError, percentile } from "@deeprecall/core";
import { composeEngine } from "../compose.ts";
import { CliError, formatDuration, oneLine, truncate } from "../output.ts";
import { keywordHit, singlePassRag } from "../rag-baseline.ts";
import { type CommandContext, loadConfig } from "./common.ts";

export const MAX_QUERIES_FILE_BYTES = 1024 * 1024;
export const MAX_QUERIES = 1000;

export interface BenchmarkEntry {
  query: string;
  timeMs: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  llmCalls: number;
  steps: number;
  sources: number;
  confidence: number | null;
  /** Fraction of the query's `expected` keywords found in the answer; null when none are given. */
  keywordHit: number | null;
  /** How the recursive run ended: `budgetStatus.exceededLimit`, or null when the model finished. */
  exceededLimit: string | null;
  answer: string;
  /** Why the run ended early (a budget) or failed; null when the model finished by itself. */
  error: string | null;
  /** The run threw: no answer at all (a store or model failure). */
  failed: boolean;
}

/** One benchmark question: the query and, optionally, keywords a correct answer contains. */
export interface BenchmarkQuery {
  query: string;
  expected?: string[];
}

export type BenchmarkMode = "recursive" | "rag";

/** What `--mode` accepts: both modes (default), or one. */
export function parseModes(raw: unknown): BenchmarkMode[] {
  if (raw === undefined || raw === "both") return ["recursive", "rag"];
  if (raw === "recursive" || raw === "rag") return [raw];
  throw new ConfigError(`--mode: expected one of both, recursive, rag, got ${JSON.stringify(raw)}`, {
    field: "mode",
  });
}

/**
 * Reads a queries file: a JSON array of strings or of `{ "query": "...", "expected": ["keyword", ...] }`
 * objects (`expected` may be one string). Throws `ConfigError` naming the file and the bad item.
 */
export async function readQueries(file: string): Promise<BenchmarkQuery[]> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new ConfigError(
      `--queries: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      { field: "queries" },
    );
  }
  if (size > MAX_QUERIES_FILE_BYTES) {
    throw new ConfigError(`--queries: ${file} is ${size} bytes; the limit is ${MAX_QUERIES_FILE_BYTES}`, {
      field: "queries",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`--queries: ${file} is not valid JSON (${(error as Error).message})`, {
      field: "queries",
    });
  }
  if (!Array.isArray(data) || data.length === 0) {
    throw new ConfigError(
      `--queries: ${file} must hold a non-empty JSON array of strings or {"query": "..."} objects`,
      { field: "queries" },
    );
  }
  if (data.length > MAX_QUERIES)
    throw new ConfigError(`--queries: ${data.length} queries; the limit is ${MAX_QUERIES}`, {
      field: "queries",
    });
  return data.map((item, i) => {
    const q =
      typeof item === "string"
        ? item
        : item && typeof item === "object"
          ? (item as { query?: unknown }).query
          : undefined;
    if (typeof q !== "string" || q.trim() === "") {
      throw new ConfigError(
        `--queries: item ${i} must be a non-empty string or an object with a "query" string`,
        { field: "queries" },
      );
    }
    const raw =
      typeof item === "object" && item !== null ? (item as { expected?: unknown }).expected : undefined;
    if (raw === undefined) return { query: q };
    const expected = typeof raw === "string" ? [raw] : raw;
    if (!Array.isArray(expected) || !expected.every((k) => typeof k === "string" && k.trim() !== "")) {
      throw new ConfigError(
        `--queries: item ${i}: "expected" must be a keyword or an array of non-empty keywords`,
        { field: "queries" },
      );
    }
    return { query: q, expected: expected as string[] };
  });
}

function failedEntry(query: string, started: number, error: unknown): BenchmarkEntry {
  return {
    query,
    timeMs: Math.round(performance.now() - started),
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    llmCalls: 0,
    steps: 0,
    sources: 0,
    confidence: null,
    keywordHit: null,
    exceededLimit: null,
    answer: "",
    error: oneLine(error),
    failed: true,
  };
}

export interface BenchmarkSummary {
  queries: number;
  /** Runs that failed outright. */
  errors: number;
  /** Runs that ended on a budget (an answer, but not the model's own). */
  endedByBudget: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  totalTokens: number;
  meanTokens: number;
  meanSteps: number;
  /** Mean keyword hit over the queries that name `expected` keywords; null when none do. */
  accuracy: number | null;
}

/** Nearest-rank percentile (always a measured time); 0 when nothing was measured. */
function percentileMs(times: number[], q: number): number {
  return times.length === 0 ? 0 : percentile(times, q, "nearest-rank");
}

/** p50/p95/mean time, tokens, steps and keyword accuracy of one mode's entries. */
export function summarise(entries: BenchmarkEntry[]): BenchmarkSummary {
  const times = entries.map((e) => e.timeMs);
  const n = Math.max(1, entries.length);
  const scored = entries.map((e) => e.keywordHit).filter((h): h is number => h !== null);
  return {
    queries: entries.length,
    errors: entries.filter((e) => e.failed).length,
    endedByBudget: entries.filter((e) => !e.failed && e.error).length,
    p50Ms: percentileMs(times, 50),
    p95Ms: percentileMs(times, 95),
    meanMs: Math.round(times.reduce((a, b) => a + b, 0) / n),
    totalTokens: entries.reduce((a, e) => a + e.totalTokens, 0),
    meanTokens: Math.round(entries.reduce((a, e) => a + e.totalTokens, 0) / n),
    meanSteps: Number((entries.reduce((a, e) => a + e.steps, 0) / n).toFixed(2)),
    accuracy:
      scored.length > 0 ? Number((scored.reduce((a, b) => a + b, 0) / scored.length).toFixed(3)) : null,
  };
}

async function runRecursive(
  composition: Awaited<ReturnType<typeof composeEngine>>,
  q: BenchmarkQuery,
): Promise<BenchmarkEntry> {
  const started = performance.now();
  try {
    // noCache: a benchmark measures runs, not cache hits.
    const r = await composition.engine.query(q.query, { noCache: true });
    return {
      query: q.query,
      timeMs: r.executionTimeMs,
      inputTokens: r.usage.inputTokens,
      outputTokens: r.usage.outputTokens,
      totalTokens: r.usage.totalTokens,
      llmCalls: r.usage.calls,
      steps: r.reasoningTrace.length,
      sources: r.sources.length,
      confidence: r.confidence,
      keywordHit: keywordHit(r.answer, q.expected),
      exceededLimit: r.budgetStatus.exceededLimit ?? null,
      answer: r.answer,
      error: r.error ?? null,
      failed: false,
    };
  } catch (error) {
    return failedEntry(q.query, started, error);
  }
}

async function runRag(
  composition: Awaited<ReturnType<typeof composeEngine>>,
  q: BenchmarkQuery,
): Promise<BenchmarkEntry> {
  const started = performance.now();
  const { config } = composition;
  try {
    const r = await singlePassRag({
      store: composition.store,
      model: composition.llm.model,
      query: q.query,
      topK: config.topK,
      ...(config.maxTime !== undefined ? { maxTimeSeconds: config.maxTime } : {}),
    });
    return {
      query: q.query,
      timeMs: r.timeMs,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      totalTokens: r.totalTokens,
      llmCalls: 1,
      steps: 1,
      sources: r.sources.length,
      confidence: null,
      keywordHit: keywordHit(r.answer, q.expected),
      exceededLimit: null,
      answer: r.answer,
      error: null,
      failed: false,
    };
  } catch (error) {
    return failedEntry(q.query, started, error);
  }
}

const MODE_LABEL: Record<BenchmarkMode, string> = { recursive: "recursive", rag: "single-pass RAG" };

/**
 * `deeprecall benchmark`: runs every question in the recursive mode and as single-pass RAG
 * (one top-k search + one call of the same model), and reports time, tokens, steps, sources and
 * keyword accuracy for each, side by side. Fails (exit 1) only when every run failed.
 */
export async function runBenchmark(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  if (typeof opts.queries !== "string") throw new CliError("--queries <file> is required", 2);
  const modes = parseModes(opts.mode);
  const queriesFile = path.resolve(ctx.cwd, opts.queries);
  const queries = await readQueries(queriesFile);
  const { config } = loadConfig(ctx, opts);
  const composition = await composeEngine(config, {
    requireLlm: true,
    throughServer: true,
    log: (line) => ctx.io.err(line),
  });
  const { io } = ctx;
  const byMode: Record<BenchmarkMode, BenchmarkEntry[]> = { recursive: [], rag: [] };
  try {
    for (const [i, q] of queries.entries()) {
      for (const mode of modes) {
        const entry =
          mode === "recursive" ? await runRecursive(composition, q) : await runRag(composition, q);
        byMode[mode].push(entry);
        const hit = entry.keywordHit === null ? "" : `  hit ${entry.keywordHit.toFixed(2)}`;
        const label = mode === "rag" ? "rag " : "";
        io.err(
          `[${i + 1}/${queries.length}] ${label}${formatDuration(entry.timeMs)}  tokens ${entry.totalTokens}  steps ${entry.steps}  sources ${entry.sources}${hit}` +
            `  ${entry.failed ? "error: " : entry.error ? "ended: " : "ok"}${entry.error ? truncate(entry.error, 100) : ""}  ${truncate(q.query, 50)}`,
        );
      }
    }
  } finally {
    await composition.close();
  }
  const summaries = Object.fromEntries(modes.map((m) => [m, summarise(byMode[m])])) as Partial<
    Record<BenchmarkMode, BenchmarkSummary>
  >;
  const primary: BenchmarkMode = modes[0]!;
  const report = {
    date: new Date().toISOString(),
    machine: {
      node: process.versions.node,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus()[0]?.model ?? "unknown",
      cpuCount: os.cpus().length,
    },
    model: composition.llm.description,
    store: composition.storeInfo.description,
    modes,
    // The first mode's figures (the recursive engine unless --mode rag), as before.
    summary: summaries[primary]!,
    results: byMode[primary],
    ...(modes.includes("recursive")
      ? { recursive: { summary: summaries.recursive!, results: byMode.recursive } }
      : {}),
    ...(modes.includes("rag") ? { rag: { summary: summaries.rag!, results: byMode.rag } } : {}),
  };
  if (typeof opts.output === "string") {
    const outFile = path.resolve(ctx.cwd, opts.output);
    await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    io.err(`Wrote ${outFile}`);
  }
  const summary = report.summary;
  if (opts.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(
      `${summary.queries} queries, ${summary.errors} errors · p50 ${formatDuration(summary.p50Ms)} · p95 ${formatDuration(summary.p95Ms)} · ` +
        `mean ${formatDuration(summary.meanMs)} · tokens ${summary.totalTokens} (mean ${summary.meanTokens}) · mean steps ${summary.meanSteps}`,
    );
    io.out("");
    io.out(
      `${"mode".padEnd(17)}${"accuracy".padEnd(10)}${"mean tokens".padEnd(13)}${"p50".padEnd(10)}${"p95".padEnd(10)}errors`,
    );
    for (const mode of modes) {
      const s = summaries[mode]!;
      io.out(
        `${MODE_LABEL[mode].padEnd(17)}${(s.accuracy === null ? "n/a" : s.accuracy.toFixed(2)).padEnd(10)}${String(s.meanTokens).padEnd(13)}` +
          `${formatDuration(s.p50Ms).padEnd(10)}${formatDuration(s.p95Ms).padEnd(10)}${s.errors}`,
      );
    }
  }
  const all = modes.flatMap((m) => byMode[m]);
  if (all.every((e) => e.failed)) throw new CliError(`all ${all.length} runs failed`);
}
