import { glob, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";
import { isSupportedFile } from "./loaders.ts";

const SKIP_DIRS = new Set(["node_modules", "__pycache__", "dist", "build", "target", "venv"]);

export interface CollectedFiles {
  /** Absolute paths of files to ingest, sorted, without duplicates. */
  files: string[];
  /** Files found while walking a directory or glob whose type is not supported (not read). */
  ignored: number;
}

function hasGlobMagic(p: string): boolean {
  return /[*?[\]{}]/.test(p);
}

async function walk(dir: string, out: Set<string>, exclude: Set<string>): Promise<number> {
  let ignored = 0;
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith(".") || SKIP_DIRS.has(entry.name) || exclude.has(full)) continue;
      ignored += await walk(full, out, exclude);
    } else if (entry.isFile()) {
      if (isSupportedFile(full)) out.add(full);
      else ignored++;
    }
  }
  return ignored;
}

/**
 * Expands `--path` values into files: a file as is (even with an unsupported type, so the
 * user gets told), a directory recursively (hidden directories, node_modules and `exclude`
 * skipped; unsupported types ignored), or a glob pattern.
 */
export async function collectFiles(
  inputs: string[],
  options: { cwd?: string; exclude?: string[] } = {},
): Promise<CollectedFiles> {
  const cwd = options.cwd ?? process.cwd();
  const exclude = new Set((options.exclude ?? []).map((p) => path.resolve(cwd, p)));
  const out = new Set<string>();
  let ignored = 0;
  for (const input of inputs) {
    const absolute = path.resolve(cwd, input);
    let info: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      info = await stat(absolute);
    } catch {
      info = undefined;
    }
    if (info?.isFile()) {
      out.add(absolute);
    } else if (info?.isDirectory()) {
      ignored += await walk(absolute, out, exclude);
    } else if (hasGlobMagic(input)) {
      let matched = 0;
      for await (const match of glob(input, { cwd })) {
        const full = path.resolve(cwd, match);
        const s = await stat(full).catch(() => undefined);
        if (!s?.isFile()) continue;
        matched++;
        if (isSupportedFile(full)) out.add(full);
        else ignored++;
      }
      if (matched === 0) throw new ConfigError(`--path: no files match "${input}"`, { field: "path" });
    } else {
      throw new ConfigError(`--path: no such file or directory: ${input}`, { field: "path" });
    }
  }
  return { files: [...out].sort(), ignored };
}
