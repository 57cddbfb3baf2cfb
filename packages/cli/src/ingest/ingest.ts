import { stat } from "node:fs/promises";
import path from "node:path";
import type { Metadata, VectorStore } from "@deeprecall/core";
import { type ChunkOptions, chunkDocuments, chunkId, parseSource, readSource } from "@deeprecall/ingest";
import { collectFiles, inScope } from "./files.ts";
import type { IngestManifest, TrackedFile } from "./manifest.ts";

export interface IngestOptions extends ChunkOptions {
  maxFileSize: number;
  /** The files already in this collection; updated as the run goes. */
  manifest: IngestManifest;
  /** Collection name, part of every chunk id. */
  collection: string;
  /**
   * Also remove the chunks of tracked files within the inputs that are gone from disk (a folder
   * that stays in sync). Without it, only files found are added, updated or removed.
   */
  sync?: boolean;
  /** Chunks per addDocuments call (a file's chunks always go in one call). Default 64. */
  batchSize?: number;
  cwd?: string;
  /** Paths never walked into (e.g. the store's own persist directory). */
  exclude?: string[];
  signal?: AbortSignal;
}

export type FileOutcome = "added" | "updated" | "unchanged" | "removed" | "skipped";

export interface IngestEvents {
  /** Called once the file list is known. */
  onStart?(total: number): void;
  /** Called after each file found (and each tracked file that is gone, with `index` -1). */
  onFile?(event: {
    file: string;
    index: number;
    total: number;
    chunks: number;
    outcome: FileOutcome;
    skipped?: string;
  }): void;
}

export interface IngestSummary {
  /** Supported files found. */
  files: number;
  /** Files whose chunks are in the store after the run (added + updated + unchanged). */
  ingestedFiles: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Files whose chunks were removed: gone from disk (--sync), empty now, or no longer readable. */
  removed: number;
  /** Chunks written. */
  chunks: number;
  /** Chunks deleted (old versions of updated files, and removed files). */
  deletedChunks: number;
  skipped: Array<{ file: string; reason: string }>;
  /** Files of unsupported types found in directories/globs and not read. */
  ignored: number;
  /** Files and folders a .gitignore excluded. */
  gitignored: number;
  timeMs: number;
}

/** `file` relative to `dir` when it lies under it (else undefined). */
function under(dir: string, file: string): string | undefined {
  const rel = path.relative(dir, file);
  return rel && !rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel) ? rel : undefined;
}

/**
 * The `source` metadata of an ingested file, "/" separated. It is shown to every API client (in
 * citations) and in the web console, so it never gives the server's file layout away: relative to
 * `cwd` when the file is under it; else relative to the parent of the `inputs` folder it was found
 * in (`--path /tmp/docs/wiki` gives `wiki/apollo.md`; a glob counts from the folder before its
 * first wildcard); else (a single file) its name. Only a label: the manifest, chunk ids and
 * `delete --path` go by the absolute path.
 */
export function sourceLabel(file: string, cwd: string, inputs: string[] = []): string {
  let label = under(cwd, file);
  if (label === undefined) {
    // The innermost input folder holding the file.
    let best: string | undefined;
    for (const input of inputs) {
      const absolute = path.resolve(cwd, input);
      const base = /[*?[\]{}]/.test(absolute) ? path.dirname(`${absolute.split(/[*?[\]{}]/)[0]}x`) : absolute;
      if (under(base, file) !== undefined && (!best || base.length > best.length)) best = base;
    }
    label = best ? path.relative(path.dirname(best), file) : path.basename(file);
  }
  return label.split(path.sep).join("/");
}

/** Files modified less than this long ago are hashed again on the next run, whatever their mtime. */
const RACY_MS = 2000;

interface Prepared {
  file: string;
  index: number;
  entry: TrackedFile;
  documents: string[];
  metadatas: Metadata[];
  outcome: "added" | "updated";
}

/**
 * Brings a collection in line with files on disk, tracked by path and content hash in
 * `options.manifest`. Unchanged files (same size and mtime, or same hash) are not read again or
 * embedded; new and changed files are chunked and written under ids derived from their content
 * (see `chunkId`); a file's old chunks are deleted only once its new ones are written; a file
 * that is empty or unreadable now, or gone (with `sync`), loses its chunks. Every step is logged
 * in the manifest first, so an interrupted run leaves each file with its old chunks or its new
 * ones, and the next run finishes what was started.
 */
export async function ingestPaths(
  store: VectorStore,
  inputs: string[],
  options: IngestOptions,
  events: IngestEvents = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const { manifest } = options;
  const batchSize = options.batchSize ?? 64;
  const { files, ignored, gitignored } = await collectFiles(inputs, {
    cwd,
    ...(options.exclude ? { exclude: options.exclude } : {}),
  });
  events.onStart?.(files.length);
  const summary: IngestSummary = {
    files: files.length,
    ingestedFiles: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    chunks: 0,
    deletedChunks: 0,
    skipped: [],
    ignored,
    gitignored,
    timeMs: 0,
  };
  // Files are reported in the order found: an unchanged or skipped file is known at once, but a
  // new one only once its batch is written, so a file's report waits for those of earlier files.
  const waiting = new Map<number, () => void>();
  let nextIndex = 0;
  const report = (file: string, index: number, chunks: number, outcome: FileOutcome, skipped?: string) => {
    const emit = () =>
      events.onFile?.({
        file,
        index,
        total: files.length,
        chunks,
        outcome,
        ...(skipped ? { skipped } : {}),
      });
    if (index < 0) return emit(); // a tracked file gone from disk: after every file found
    waiting.set(index, emit);
    for (let next = waiting.get(nextIndex); next; next = waiting.get(nextIndex)) {
      waiting.delete(nextIndex++);
      next();
    }
  };

  const removeFile = async (file: string): Promise<number> => {
    const ids = manifest.knownIds(file);
    if (ids.length > 0) await store.delete(ids);
    manifest.remove(file);
    summary.removed++;
    summary.deletedChunks += ids.length;
    return ids.length;
  };

  // Files are written in batches: log the new ids of every file in the batch, write all their
  // chunks, delete the old chunks, then log each file's new state.
  let batch: Prepared[] = [];
  let batchChunks = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    batchChunks = 0;
    for (const p of current) manifest.setPending(p.file, p.entry.ids);
    await store.addDocuments({
      documents: current.flatMap((p) => p.documents),
      metadatas: current.flatMap((p) => p.metadatas),
      ids: current.flatMap((p) => p.entry.ids),
    });
    for (const p of current) {
      const keep = new Set(p.entry.ids);
      const stale = manifest.knownIds(p.file).filter((id) => !keep.has(id));
      if (stale.length > 0) await store.delete(stale);
      manifest.commit(p.file, p.entry);
      summary[p.outcome]++;
      summary.ingestedFiles++;
      summary.chunks += p.documents.length;
      summary.deletedChunks += stale.length;
      report(p.file, p.index, p.documents.length, p.outcome);
    }
  };

  for (const [index, file] of files.entries()) {
    options.signal?.throwIfAborted();
    const tracked = manifest.get(file);
    const info = await stat(file).catch(() => undefined);
    if (
      tracked &&
      !tracked.pending &&
      info &&
      tracked.size === info.size &&
      tracked.mtimeMs === info.mtimeMs
    ) {
      summary.unchanged++;
      summary.ingestedFiles++;
      report(file, index, tracked.ids.length, "unchanged");
      continue;
    }
    const read = await readSource(file, {
      maxFileSize: options.maxFileSize,
      sizeHint: "raise --max-file-size",
    });
    const skip = async (reason: string) => {
      summary.skipped.push({ file, reason });
      if (tracked) await removeFile(file);
      report(file, index, 0, tracked ? "removed" : "skipped", reason);
    };
    if (!read.ok) {
      await skip(read.reason);
      continue;
    }
    const size = read.bytes.length;
    // An mtime this recent may not change with the next write ("racy" like git's): hash next time.
    const mtimeMs = info && Date.now() - info.mtimeMs > RACY_MS ? info.mtimeMs : -1;
    if (tracked && !tracked.pending && tracked.hash === read.sha256) {
      // Touched but not changed: remember the new mtime, read nothing more.
      manifest.commit(file, { ...tracked, size, mtimeMs });
      summary.unchanged++;
      summary.ingestedFiles++;
      report(file, index, tracked.ids.length, "unchanged");
      continue;
    }
    const loaded = await parseSource(file, read.bytes);
    if (!loaded.ok) {
      await skip(loaded.reason);
      continue;
    }
    // The same chunks and metadata as an upload of this file to the server (@deeprecall/ingest).
    const { documents, metadatas } = chunkDocuments(loaded, {
      source: sourceLabel(file, cwd, inputs),
      filename: path.basename(file),
      chunkSize: options.chunkSize,
      chunkOverlap: options.chunkOverlap,
    });
    if (documents.length === 0) {
      await skip("no text");
      continue;
    }
    batch.push({
      file,
      index,
      entry: {
        hash: read.sha256,
        size,
        mtimeMs,
        ids: documents.map((_, i) => chunkId(options.collection, file, read.sha256, i)),
      },
      documents,
      metadatas,
      outcome: tracked && tracked.ids.length > 0 ? "updated" : "added",
    });
    batchChunks += documents.length;
    if (batchChunks >= batchSize) await flush();
  }
  await flush();

  if (options.sync) {
    const found = new Set(files);
    for (const file of manifest.files()) {
      if (found.has(file) || !inScope(file, inputs, cwd)) continue;
      options.signal?.throwIfAborted();
      await removeFile(file);
      report(file, -1, 0, "removed", "gone from disk");
    }
  }
  manifest.save();
  summary.timeMs = Math.round(performance.now() - started);
  return summary;
}

/**
 * Removes the chunks of every tracked file at `target` (a file) or under it (a folder). Returns
 * the files and chunks removed.
 */
export async function removePath(
  store: VectorStore,
  manifest: IngestManifest,
  target: string,
): Promise<{ files: string[]; chunks: number }> {
  const files = manifest.files().filter((file) => inScope(file, [target], "/"));
  let chunks = 0;
  for (const file of files) {
    const ids = manifest.knownIds(file);
    if (ids.length > 0) await store.delete(ids);
    manifest.remove(file);
    chunks += ids.length;
  }
  manifest.save();
  return { files, chunks };
}
