import { type FSWatcher, readFileSync, watch } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { plural } from "@deeprecall/core";
import cliProgress from "cli-progress";
import type { DeepRecallConfig } from "../config/index.ts";
import {
  IngestManifest,
  type IngestSummary,
  ingestPaths,
  inScope,
  legacyChunkId,
  removePath,
} from "../ingest/index.ts";
import { manifestFile } from "../ingest/manifest-file.ts";
import { otherServerWarning } from "../other-server.ts";
import { CliError, formatDuration, type Io } from "../output.ts";
import { openServedStore } from "../served-store.ts";
import { openVectorStore, type StoreHandle } from "../stores.ts";
import { noticingWrites, writeNoticeFile } from "../write-notices.ts";
import { type CommandContext, loadConfig } from "./common.ts";

export { manifestFile };

/**
 * The store of `config`'s collection, leaving a write notice after each write so that a
 * `deeprecall serve` serving it (Chroma, Pinecone) stops serving cached results from before.
 * A local store held by a running `deeprecall serve` is written through that server's HTTP API.
 */
export async function openStoreForWriting(
  ctx: CommandContext,
  config: DeepRecallConfig,
): Promise<StoreHandle> {
  const log = (line: string) => ctx.io.err(line);
  const served = await openServedStore(config, config.collection, { log });
  if (served) return served;
  // A server answering on the configured port but holding another store (started in another
  // folder) would never see these writes: say so. Checked while the store opens (≤ 300 ms).
  const warning = otherServerWarning(config, ctx.env).catch(() => undefined);
  const handle = await openVectorStore(config, { log });
  const message = await warning;
  if (message) log(message);
  return { ...handle, store: noticingWrites(handle.store, writeNoticeFile(config, handle.collection)) };
}

/** The manifest of earlier versions (absolute path -> chunk count), read once to carry it over. */
function legacyManifest(config: DeepRecallConfig): Map<string, string[]> | undefined {
  const target =
    config.vectorstore === "pinecone"
      ? `pinecone-${config.pineconeIndex}-${config.pineconeNamespace ?? "default"}`
      : `${config.vectorstore}-${config.collection}`;
  const file = path.join(config.persistDir, `ingested-${target.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
  try {
    const counts = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
    return new Map(
      Object.entries(counts).map(([name, n]) => [
        name,
        Array.from({ length: n }, (_, i) => legacyChunkId(name, i)),
      ]),
    );
  } catch {
    return undefined;
  }
}

export function openManifest(config: DeepRecallConfig, collection: string): IngestManifest {
  return IngestManifest.load(manifestFile(config, collection), () =>
    collection === config.collection ? legacyManifest(config) : undefined,
  );
}

/** Rewrites "store is locked" errors of the local store with what to do about it. */
function explainLock(config: DeepRecallConfig, error: unknown): unknown {
  if (
    config.vectorstore === "local" &&
    error instanceof Error &&
    /\blocked by process\b/.test(error.message)
  ) {
    return new CliError(
      `${error.message} Is \`deeprecall serve\` running on this store? Stop it first, or send documents to its POST /v1/documents.`,
    );
  }
  return error;
}

function summaryLine(summary: IngestSummary, total: number | undefined): string {
  const parts = [
    `${summary.added} added`,
    `${summary.updated} updated`,
    `${summary.removed} removed`,
    `${summary.unchanged} unchanged`,
  ];
  return (
    `Ingested ${summary.ingestedFiles} of ${plural(summary.files, "file")} (${parts.join(", ")}) as ${plural(summary.chunks, "new chunk")} in ${formatDuration(summary.timeMs)}` +
    `; skipped ${summary.skipped.length}` +
    (summary.deletedChunks > 0 ? `; deleted ${plural(summary.deletedChunks, "old chunk")}` : "") +
    (summary.ignored > 0 ? `; ignored ${summary.ignored} of unsupported types` : "") +
    (summary.gitignored > 0 ? `; ${summary.gitignored} excluded by .gitignore` : "") +
    (total !== undefined ? `. The store now holds ${plural(total, "document")}.` : ".")
  );
}

/** One ingest run with progress output; returns the summary. */
async function runOnce(
  ctx: CommandContext,
  handle: StoreHandle,
  manifest: IngestManifest,
  config: DeepRecallConfig,
  paths: string[],
  opts: Record<string, unknown>,
  progress: boolean,
): Promise<IngestSummary> {
  const { io } = ctx;
  let bar: cliProgress.SingleBar | undefined;
  // With no files found, the header waits for the first removal (--sync): when there is none,
  // the run ends in "no supported files found" alone, not after "Ingesting 0 files".
  let header: string | undefined;
  const announce = () => {
    if (header !== undefined) io.err(header);
    header = undefined;
  };
  try {
    const summary = await ingestPaths(
      handle.store,
      paths,
      {
        chunkSize: config.chunkSize,
        chunkOverlap: config.chunkOverlap,
        maxFileSize: config.maxFileSize,
        cwd: ctx.cwd,
        exclude: [config.persistDir],
        manifest,
        collection: handle.collection,
        sync: opts.sync === true || opts.watch === true,
      },
      {
        onStart: (total) => {
          if (!progress) return;
          header = `Ingesting ${plural(total, "file")} into ${handle.info.description}`;
          if (total > 0) announce();
          if (io.isTTY && !opts.json && total > 0) {
            bar = new cliProgress.SingleBar(
              {
                format: "{bar} {value}/{total} files | {file}",
                stream: process.stderr,
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total, 0, { file: "" });
          }
        },
        onFile: ({ file, index, total, chunks, outcome, skipped }) => {
          announce();
          const rel = path.relative(ctx.cwd, file) || file;
          if (skipped) {
            // Warnings always go out as their own line, above the bar.
            bar?.stop();
            io.err(
              outcome === "removed" ? `removed ${rel}: ${skipped}` : `warning: skipped ${rel}: ${skipped}`,
            );
            if (bar && index >= 0) bar.start(total, index + 1, { file: rel });
          } else if (bar) {
            bar.update(index + 1, { file: rel });
          } else if (progress || outcome !== "unchanged") {
            io.err(`[${index + 1}/${total}] ${rel}: ${plural(chunks, "chunk")} (${outcome})`);
          }
        },
      },
    );
    return summary;
  } finally {
    bar?.stop();
  }
}

/**
 * The paths to ingest, given as arguments (`deeprecall ingest docs/a.md`), with `--path`, or both
 * when they name the same paths; two different lists are a usage error rather than a guess.
 */
export function ingestPathsOf(cwd: string, positional: string[], flag: string[] | undefined): string[] {
  if (positional.length === 0 && (flag === undefined || flag.length === 0)) {
    throw new CliError(
      "a path is required: deeprecall ingest <path...> or --path <path> (a file, a directory or a glob)",
      2,
    );
  }
  if (flag === undefined || flag.length === 0) return positional;
  if (positional.length === 0) return flag;
  const same = (list: string[]) => [...new Set(list.map((p) => path.resolve(cwd, p)))].sort().join("\0");
  if (same(positional) !== same(flag)) {
    throw new CliError(
      `paths given both as arguments (${positional.join(", ")}) and with --path (${flag.join(", ")}): use one or the other`,
      2,
    );
  }
  return flag;
}

export async function runIngest(
  ctx: CommandContext,
  opts: Record<string, unknown>,
  positional: string[] = [],
): Promise<void> {
  const paths = ingestPathsOf(ctx.cwd, positional, opts.path as string[] | undefined);
  const { config } = loadConfig(ctx, opts);
  const handle = await openStoreForWriting(ctx, config);
  const manifest = openManifest(config, handle.collection);
  const { io } = ctx;
  try {
    const summary = await runOnce(ctx, handle, manifest, config, paths, opts, true);
    // Nothing found: the error alone. A summary of "0 of 0 files" before it read as a success.
    if (!opts.watch && summary.files === 0 && summary.removed === 0) {
      throw new CliError(`no supported files found under ${paths.join(", ")}`);
    }
    const total = await handle.store.count().catch(() => undefined);
    if (opts.json) io.out(JSON.stringify({ ...summary, storeCount: total ?? null }, null, 2));
    else io.out(summaryLine(summary, total));
    if (!opts.watch) {
      if (summary.files > 0 && summary.ingestedFiles === 0 && summary.removed === 0) {
        throw new CliError(
          `${summary.files === 1 ? "the file could not" : `none of the ${summary.files} files could`} be ingested (see the warnings above)`,
        );
      }
      return;
    }
    await watchAndSync(ctx, handle, manifest, config, paths, opts);
  } catch (error) {
    throw explainLock(config, error);
  } finally {
    manifest.close();
    await handle.close();
  }
}

/**
 * `--watch`: syncs again whenever something changes under the given paths (node:fs watch,
 * recursive), once things have been quiet for `--debounce` ms (default 500). Runs until SIGINT
 * or SIGTERM; a sync in progress finishes first.
 */
async function watchAndSync(
  ctx: CommandContext,
  handle: StoreHandle,
  manifest: IngestManifest,
  config: DeepRecallConfig,
  paths: string[],
  opts: Record<string, unknown>,
): Promise<void> {
  const { io } = ctx;
  const debounceMs = opts.debounce === undefined ? 500 : Number(opts.debounce);
  if (!Number.isFinite(debounceMs) || debounceMs < 0) {
    throw new CliError(`--debounce: expected a number of milliseconds >= 0, got ${String(opts.debounce)}`, 2);
  }
  const persistDir = path.resolve(ctx.cwd, config.persistDir);
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopping = false;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const sync = async () => {
    const summary = await runOnce(ctx, handle, manifest, config, paths, { ...opts, json: false }, false);
    if (summary.added + summary.updated + summary.removed > 0) {
      const total = await handle.store.count().catch(() => undefined);
      io.out(
        opts.json ? JSON.stringify({ ...summary, storeCount: total ?? null }) : summaryLine(summary, total),
      );
    }
  };
  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    running = sync()
      .catch((error: unknown) => {
        stop();
        rejectDone(error);
      })
      .finally(() => {
        running = undefined;
        if (again && !stopping) {
          again = false;
          trigger();
        } else if (stopping) {
          resolveDone();
        }
      });
  };
  const onChange = (_event: string, name: string | Buffer | null) => {
    const changed = name ? path.resolve(String(name)) : "";
    if (changed.startsWith(persistDir + path.sep)) return;
    clearTimeout(timer);
    timer = setTimeout(trigger, debounceMs);
  };
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (!running) resolveDone();
  };

  for (const input of paths) {
    const absolute = path.resolve(ctx.cwd, input);
    const info = await stat(absolute).catch(() => undefined);
    // A glob or a file: watch the folder it is in.
    const target = info?.isDirectory()
      ? absolute
      : path.dirname(info ? absolute : absolute.split(/[*?[{]/)[0]!);
    const watcher = watch(target, { recursive: true }, (event, name) =>
      onChange(event, name ? path.join(target, String(name)) : null),
    );
    watcher.on("error", (error) => {
      stop();
      rejectDone(error);
    });
    watchers.push(watcher);
  }
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  io.err(`Watching ${paths.join(", ")} for changes (Ctrl+C to stop)`);
  await done;
  io.err("Stopped watching.");
}

export async function runDeletePath(
  ctx: CommandContext,
  targets: string[],
  opts: Record<string, unknown>,
  handle: StoreHandle,
  config: DeepRecallConfig,
): Promise<void> {
  const manifest = openManifest(config, handle.collection);
  try {
    const before = await handle.store.count();
    const removed: string[] = [];
    let chunks = 0;
    for (const target of targets) {
      const result = await removePath(handle.store, manifest, path.resolve(ctx.cwd, target));
      removed.push(...result.files);
      chunks += result.chunks;
    }
    if (removed.length === 0) {
      // Only the error: a "Removed 0 files" line before it said the opposite of what happened.
      const elsewhere = await collectionsTracking(
        config,
        handle,
        targets.map((t) => path.resolve(ctx.cwd, t)),
      );
      throw new CliError(
        `no ingested file at ${targets.join(", ")} in collection ${handle.collection}` +
          (elsewhere.length > 0
            ? `; it is in collection ${elsewhere.join(", ")}: add ${elsewhere.map((c) => `--collection ${c}`).join(" or ")}`
            : ""),
      );
    }
    const after = await handle.store.count();
    const io: Io = ctx.io;
    if (opts.json) {
      io.out(
        JSON.stringify({
          paths: targets,
          files: removed.map((f) => path.relative(ctx.cwd, f) || f),
          deleted: before - after,
          remaining: after,
        }),
      );
    } else {
      io.out(
        `Removed ${plural(removed.length, "file")} (${plural(chunks, "chunk")}); ${plural(after, "document")} remain${after === 1 ? "s" : ""}.`,
      );
    }
  } finally {
    manifest.close();
  }
}

/** The other collections of the store whose manifests track a file at or under one of `targets`. */
async function collectionsTracking(
  config: DeepRecallConfig,
  handle: StoreHandle,
  targets: string[],
): Promise<string[]> {
  const names = await handle.collections.collections
    .listCollections()
    .then((list) => list.map((c) => c.name))
    .catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    if (name === handle.collection) continue;
    const other = openManifest(config, name);
    try {
      if (other.files().some((file) => inScope(file, targets, "/"))) found.push(name);
    } finally {
      other.close();
    }
  }
  return found;
}
