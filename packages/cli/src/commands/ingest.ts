import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { ingestPaths } from "../ingest/index.ts";
import { CliError, formatDuration } from "../output.ts";
import { openVectorStore } from "../stores.ts";
import { type CommandContext, loadConfig } from "./common.ts";

/** Where chunk counts of earlier ingests into this store are remembered (to remove stale chunks). */
function manifestPath(config: ReturnType<typeof loadConfig>["config"]): string {
  const target =
    config.vectorstore === "pinecone"
      ? `pinecone-${config.pineconeIndex}-${config.pineconeNamespace ?? "default"}`
      : `${config.vectorstore}-${config.collection}`;
  return path.join(config.persistDir, `ingested-${target.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

function readManifest(file: string): Record<string, number> {
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, number>) : {};
  } catch {
    return {};
  }
}

function writeManifest(file: string, data: Record<string, number>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(data));
  renameSync(temp, file);
}

export async function runIngest(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  const paths = (opts.path as string[] | undefined) ?? [];
  if (paths.length === 0) throw new CliError("--path is required (a file, a directory or a glob)", 2);
  const { config } = loadConfig(ctx, opts);
  const handle = await openVectorStore(config, { log: (line) => ctx.io.err(line) });
  const { io } = ctx;
  const manifestFile = manifestPath(config);
  const previousChunks = readManifest(manifestFile);
  let bar: cliProgress.SingleBar | undefined;
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
        previousChunks,
      },
      {
        onStart: (total) => {
          io.err(`Ingesting ${total} file${total === 1 ? "" : "s"} into ${handle.info.description}`);
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
        onFile: ({ file, index, total, chunks, skipped }) => {
          const rel = path.relative(ctx.cwd, file) || file;
          if (skipped) {
            // Warnings always go out as their own line, above the bar.
            bar?.stop();
            io.err(`warning: skipped ${rel}: ${skipped}`);
            if (bar) bar.start(total, index + 1, { file: rel });
          } else if (bar) {
            bar.update(index + 1, { file: rel });
          } else {
            io.err(`[${index + 1}/${total}] ${rel}: ${chunks} chunk${chunks === 1 ? "" : "s"}`);
          }
        },
      },
    );
    bar?.stop();
    bar = undefined;
    writeManifest(manifestFile, previousChunks);
    const total = await handle.store.count().catch(() => undefined);
    if (opts.json) {
      io.out(JSON.stringify({ ...summary, storeCount: total ?? null }, null, 2));
    } else {
      io.out(
        `Ingested ${summary.ingestedFiles} of ${summary.files} files as ${summary.chunks} chunks in ${formatDuration(summary.timeMs)}` +
          `; skipped ${summary.skipped.length}` +
          (summary.staleRemoved > 0 ? `; removed ${summary.staleRemoved} stale chunks` : "") +
          (summary.ignored > 0 ? `; ignored ${summary.ignored} of unsupported types` : "") +
          (total !== undefined ? `. The store now holds ${total} documents.` : "."),
      );
    }
    if (summary.files > 0 && summary.ingestedFiles === 0) {
      throw new CliError(`none of the ${summary.files} files could be ingested (see the warnings above)`);
    }
    if (summary.files === 0) throw new CliError(`no supported files found under ${paths.join(", ")}`);
  } catch (error) {
    if (
      config.vectorstore === "local" &&
      error instanceof Error &&
      /\blocked by process\b/.test(error.message)
    ) {
      throw new CliError(
        `${error.message} Is \`deeprecall serve\` running on this store? Stop it first, or send documents to its POST /v1/documents.`,
      );
    }
    throw error;
  } finally {
    bar?.stop();
    await handle.close();
  }
}
