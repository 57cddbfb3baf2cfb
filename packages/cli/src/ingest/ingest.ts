import path from "node:path";
import type { Metadata, VectorStore } from "@deeprecall/core";
import { type ChunkOptions, chunkText } from "./chunk.ts";
import { collectFiles } from "./files.ts";
import { chunkId } from "./ids.ts";
import { loadFile } from "./loaders.ts";

export interface IngestOptions extends ChunkOptions {
  maxFileSize: number;
  /** Documents per addDocuments call. Default 64. */
  batchSize?: number;
  cwd?: string;
  /** Paths never walked into (e.g. the store's own persist directory). */
  exclude?: string[];
  signal?: AbortSignal;
  /**
   * Chunk counts from earlier ingests (absolute path -> chunks), updated in place. When a file
   * now has fewer chunks than before, the ids of the chunks it lost are deleted, so a shrunken
   * file leaves nothing stale behind.
   */
  previousChunks?: Record<string, number>;
}

export interface IngestEvents {
  /** Called once the file list is known. */
  onStart?(total: number): void;
  /** Called after each file, ingested or skipped. */
  onFile?(event: { file: string; index: number; total: number; chunks: number; skipped?: string }): void;
}

export interface IngestSummary {
  files: number;
  ingestedFiles: number;
  chunks: number;
  skipped: Array<{ file: string; reason: string }>;
  /** Chunks removed because their file got shorter since the last ingest. */
  staleRemoved: number;
  /** Files of unsupported types found in directories/globs and not read. */
  ignored: number;
  timeMs: number;
}

/** The `source` metadata: relative to cwd when the file is inside it, else absolute; always "/" separated. */
export function sourceLabel(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  const label = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
  return label.split(path.sep).join("/");
}

/** Reads, chunks and writes files into a store with stable ids (re-ingesting updates in place). */
export async function ingestPaths(
  store: VectorStore,
  inputs: string[],
  options: IngestOptions,
  events: IngestEvents = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const batchSize = options.batchSize ?? 64;
  const collectOptions = options.exclude ? { cwd, exclude: options.exclude } : { cwd };
  const { files, ignored } = await collectFiles(inputs, collectOptions);
  events.onStart?.(files.length);

  const summary: IngestSummary = {
    files: files.length,
    ingestedFiles: 0,
    chunks: 0,
    skipped: [],
    staleRemoved: 0,
    ignored,
    timeMs: 0,
  };
  let documents: string[] = [];
  let metadatas: Metadata[] = [];
  let ids: string[] = [];
  const flush = async () => {
    if (documents.length === 0) return;
    await store.addDocuments({ documents, metadatas, ids });
    documents = [];
    metadatas = [];
    ids = [];
  };

  for (const [index, file] of files.entries()) {
    options.signal?.throwIfAborted();
    const loaded = await loadFile(file, { maxFileSize: options.maxFileSize });
    if (!loaded.ok) {
      summary.skipped.push({ file, reason: loaded.reason });
      events.onFile?.({ file, index, total: files.length, chunks: 0, skipped: loaded.reason });
      continue;
    }
    const chunks = chunkText(loaded.text, options);
    if (chunks.length === 0) {
      summary.skipped.push({ file, reason: "no text" });
      events.onFile?.({ file, index, total: files.length, chunks: 0, skipped: "no text" });
      continue;
    }
    const source = sourceLabel(file, cwd);
    const filename = path.basename(file);
    for (const [chunk, text] of chunks.entries()) {
      documents.push(text);
      metadatas.push({ source, filename, chunk, chunks: chunks.length, type: loaded.kind });
      ids.push(chunkId(file, chunk));
      if (documents.length >= batchSize) await flush();
    }
    summary.ingestedFiles++;
    summary.chunks += chunks.length;
    // Flush per file so progress reflects what is really stored.
    await flush();
    if (options.previousChunks) {
      const before = options.previousChunks[file] ?? 0;
      if (before > chunks.length) {
        const stale = Array.from({ length: before - chunks.length }, (_, i) =>
          chunkId(file, chunks.length + i),
        );
        await store.delete(stale);
        summary.staleRemoved += stale.length;
      }
      options.previousChunks[file] = chunks.length;
    }
    events.onFile?.({ file, index, total: files.length, chunks: chunks.length });
  }
  await flush();
  summary.timeMs = Math.round(performance.now() - started);
  return summary;
}
