import { readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";
import { composeEngine } from "../compose.ts";
import { CliError, formatDuration, oneLine, percentile, truncate } from "../output.ts";
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
  error: string | null;
}

/** Reads a queries file: a JSON array of strings or of `{ "query": "..." }` objects. */
export async function readQueries(file: string): Promise<string[]> {
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
    return q;
  });
}

export async function runBenchmark(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  if (typeof opts.queries !== "string") throw new CliError("--queries <file> is required", 2);
  const queriesFile = path.resolve(ctx.cwd, opts.queries);
  const queries = await readQueries(queriesFile);
  const { config } = loadConfig(ctx, opts);
  const composition = await composeEngine(config, { requireLlm: true, log: (line) => ctx.io.err(line) });
  const { io } = ctx;
  const entries: BenchmarkEntry[] = [];
  try {
    for (const [i, query] of queries.entries()) {
      const started = performance.now();
      let entry: BenchmarkEntry;
      try {
        // noCache: a benchmark measures runs, not cache hits.
        const r = await composition.engine.query(query, { noCache: true });
        entry = {
          query,
          timeMs: r.executionTimeMs,
          inputTokens: r.usage.inputTokens,
          outputTokens: r.usage.outputTokens,
          totalTokens: r.usage.totalTokens,
          llmCalls: r.usage.calls,
          steps: r.reasoningTrace.length,
          sources: r.sources.length,
          confidence: r.confidence,
          error: r.error ?? null,
        };
      } catch (error) {
        entry = {
          query,
          timeMs: Math.round(performance.now() - started),
          inputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
          llmCalls: 0,
          steps: 0,
          sources: 0,
          confidence: null,
          error: oneLine(error),
        };
      }
      entries.push(entry);
      io.err(
        `[${i + 1}/${queries.length}] ${formatDuration(entry.timeMs)}  tokens ${entry.totalTokens}  steps ${entry.steps}  sources ${entry.sources}` +
          `  ${entry.error ? `error: ${truncate(entry.error, 100)}` : "ok"}  ${truncate(query, 50)}`,
      );
    }
  } finally {
    await composition.close();
  }
  const times = entries.map((e) => e.timeMs);
  const summary = {
    queries: entries.length,
    errors: entries.filter((e) => e.error).length,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    meanMs: Math.round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
    totalTokens: entries.reduce((a, e) => a + e.totalTokens, 0),
    meanTokens: Math.round(entries.reduce((a, e) => a + e.totalTokens, 0) / Math.max(1, entries.length)),
    meanSteps: Number((entries.reduce((a, e) => a + e.steps, 0) / Math.max(1, entries.length)).toFixed(2)),
  };
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
    summary,
    results: entries,
  };
  if (typeof opts.output === "string") {
    const outFile = path.resolve(ctx.cwd, opts.output);
    await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    io.err(`Wrote ${outFile}`);
  }
  if (opts.json) io.out(JSON.stringify(report, null, 2));
  else
    io.out(
      `${summary.queries} queries, ${summary.errors} errors · p50 ${formatDuration(summary.p50Ms)} · p95 ${formatDuration(summary.p95Ms)} · ` +
        `mean ${formatDuration(summary.meanMs)} · tokens ${summary.totalTokens} (mean ${summary.meanTokens}) · mean steps ${summary.meanSteps}`,
    );
  if (summary.errors === summary.queries) throw new CliError(`all ${summary.queries} queries failed`);
}
