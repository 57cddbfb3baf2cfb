import { existsSync } from "node:fs";
import { glob, readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";
import { isSupportedFile } from "@deeprecall/ingest";
import ignore, { type Ignore } from "ignore";

/** Folders never walked into (on top of hidden ones and what .gitignore files exclude). */
export const SKIP_DIRS = new Set(["node_modules", "__pycache__", "dist", "build", "target", "venv"]);

export interface CollectedFiles {
  /** Absolute paths of files to ingest, sorted, each real file once. */
  files: string[];
  /** Files found while walking a directory or glob whose type is not supported (not read). */
  ignored: number;
  /** Files and folders left out by a .gitignore. */
  gitignored: number;
}

export interface CollectOptions {
  cwd?: string;
  /** Paths never walked into (e.g. the store's own persist directory). */
  exclude?: string[];
  /** Honour .gitignore files (default true). */
  gitignore?: boolean;
}

function hasGlobMagic(p: string): boolean {
  return /[*?[\]{}]/.test(p);
}

/** The .gitignore rules of one folder, matched against paths relative to it. */
interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

async function readGitignore(dir: string): Promise<IgnoreLayer | undefined> {
  try {
    const text = await readFile(path.join(dir, ".gitignore"), "utf8");
    return { base: dir, rules: ignore().add(text) };
  } catch {
    return undefined;
  }
}

function isIgnored(layers: IgnoreLayer[], full: string, isDir: boolean): boolean {
  for (const { base, rules } of layers) {
    const rel = path.relative(base, full).split(path.sep).join("/");
    if (!rel || rel.startsWith("..")) continue;
    if (rules.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** The .gitignore files of the folders above `dir`, up to the root of its git repository (if any). */
async function ancestorLayers(dir: string): Promise<IgnoreLayer[]> {
  const chain: string[] = [];
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    chain.unshift(current);
    if (existsSync(path.join(current, ".git"))) break;
    if (path.dirname(current) === current) return []; // not inside a git repository
  }
  const layers: IgnoreLayer[] = [];
  for (const folder of chain) {
    const layer = await readGitignore(folder);
    if (layer) layers.push(layer);
  }
  return layers;
}

/**
 * Walks directories: hidden folders, SKIP_DIRS, `exclude` and what .gitignore files say are
 * skipped. Symbolic links to files and folders are followed; every real file is taken once and
 * every real folder walked once (so a link loop ends). Links are resolved after the plain tree,
 * so a file reachable both directly and through a link keeps its direct path.
 */
class Walker {
  readonly files = new Map<string, string>(); // real path -> path as found
  readonly visitedDirs = new Set<string>();
  ignored = 0;
  gitignored = 0;
  #links: Array<{ full: string; layers: IgnoreLayer[] }> = [];

  readonly exclude: Set<string>;
  readonly gitignore: boolean;

  constructor(exclude: Set<string>, gitignore: boolean) {
    this.exclude = exclude;
    this.gitignore = gitignore;
  }

  async walkRoot(dir: string): Promise<void> {
    const layers = this.gitignore ? await ancestorLayers(dir) : [];
    await this.#walk(dir, layers);
    // Links found along the way; walking a linked folder may find more links.
    while (this.#links.length > 0) {
      const { full, layers: linkLayers } = this.#links.shift()!;
      await this.#follow(full, linkLayers);
    }
  }

  async addFile(full: string): Promise<void> {
    const real = await realpath(full).catch(() => full);
    if (!this.files.has(real)) this.files.set(real, full);
  }

  async #walk(dir: string, parentLayers: IgnoreLayer[]): Promise<void> {
    const real = await realpath(dir).catch(() => dir);
    if (this.visitedDirs.has(real)) return;
    this.visitedDirs.add(real);
    const own = this.gitignore ? await readGitignore(dir) : undefined;
    const layers = own ? [...parentLayers, own] : parentLayers;
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        this.#links.push({ full, layers });
      } else if (entry.isDirectory()) {
        if (this.#skipDir(entry.name, full)) continue;
        if (isIgnored(layers, full, true)) {
          this.gitignored++;
          continue;
        }
        await this.#walk(full, layers);
      } else if (entry.isFile()) {
        await this.#take(full, layers);
      }
    }
  }

  async #follow(full: string, layers: IgnoreLayer[]): Promise<void> {
    const info = await stat(full).catch(() => undefined); // follows the link; a dangling one is skipped
    if (info?.isDirectory()) {
      if (this.#skipDir(path.basename(full), full)) return;
      if (isIgnored(layers, full, true)) {
        this.gitignored++;
        return;
      }
      await this.#walk(full, layers);
    } else if (info?.isFile()) {
      await this.#take(full, layers);
    }
  }

  async #take(full: string, layers: IgnoreLayer[]): Promise<void> {
    if (path.basename(full) === ".gitignore") return;
    if (isIgnored(layers, full, false)) {
      this.gitignored++;
      return;
    }
    if (!isSupportedFile(full)) {
      this.ignored++;
      return;
    }
    await this.addFile(full);
  }

  #skipDir(name: string, full: string): boolean {
    return name.startsWith(".") || SKIP_DIRS.has(name) || this.exclude.has(full);
  }
}

/**
 * Expands `--path` values into files: a file as is (even with an unsupported type, so the
 * user gets told), a directory recursively (see `Walker`), or a glob pattern. A file reached
 * through several paths (symbolic links, overlapping inputs) is listed once.
 */
export async function collectFiles(inputs: string[], options: CollectOptions = {}): Promise<CollectedFiles> {
  const cwd = options.cwd ?? process.cwd();
  const exclude = new Set((options.exclude ?? []).map((p) => path.resolve(cwd, p)));
  const walker = new Walker(exclude, options.gitignore ?? true);
  for (const input of inputs) {
    const absolute = path.resolve(cwd, input);
    let info: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      info = await stat(absolute);
    } catch {
      info = undefined;
    }
    if (info?.isFile()) {
      await walker.addFile(absolute);
    } else if (info?.isDirectory()) {
      await walker.walkRoot(absolute);
    } else if (hasGlobMagic(input)) {
      let matched = 0;
      for await (const match of glob(input, { cwd })) {
        const full = path.resolve(cwd, match);
        const s = await stat(full).catch(() => undefined);
        if (!s?.isFile()) continue;
        matched++;
        if (isSupportedFile(full)) await walker.addFile(full);
        else walker.ignored++;
      }
      if (matched === 0) throw new ConfigError(`--path: no files match "${input}"`, { field: "path" });
    } else {
      throw new ConfigError(`--path: no such file or directory: ${input}`, { field: "path" });
    }
  }
  return {
    files: [...walker.files.values()].sort(),
    ignored: walker.ignored,
    gitignored: walker.gitignored,
  };
}

/**
 * Whether `file` (absolute) lies within what `inputs` name: one of them, under a directory
 * among them, or matched by a glob among them. A sync removes tracked files in scope that are
 * gone; files outside every input are left alone.
 */
export function inScope(file: string, inputs: string[], cwd: string): boolean {
  return inputs.some((input) => {
    const absolute = path.resolve(cwd, input);
    if (file === absolute || file.startsWith(absolute.endsWith(path.sep) ? absolute : absolute + path.sep))
      return true;
    return (
      hasGlobMagic(input) && path.matchesGlob(file, path.isAbsolute(input) ? input : path.join(cwd, input))
    );
  });
}
