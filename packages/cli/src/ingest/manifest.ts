import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";

/** What the manifest knows about one ingested file. */
export interface TrackedFile {
  /** SHA-256 of the file's bytes when its chunks were written ("" for entries of the old manifest). */
  hash: string;
  size: number;
  mtimeMs: number;
  /** Ids of its chunks in the store. */
  ids: string[];
  /**
   * Ids being written for a new version (set before they are written, cleared once the old
   * chunks are deleted). Present after an interrupted sync: the next one finishes the job. After
   * several interrupted syncs, the ids of every version written since the last commit.
   */
  pending?: string[];
}

type LogRecord =
  | { op: "pending"; file: string; ids: string[] }
  | { op: "commit"; file: string; entry: TrackedFile }
  | { op: "remove"; file: string };

/**
 * The files ingested into one collection, kept beside the store: `<name>.json` (a snapshot,
 * replaced atomically) plus `<name>.log` (one JSON line per change, fsynced, replayed on load;
 * a torn last line is ignored). Every step of a sync is logged before the next one starts, so an
 * interrupted sync can be finished by the next.
 */
export class IngestManifest {
  readonly file: string;
  readonly #entries = new Map<string, TrackedFile>();
  #logFd: number | undefined;

  private constructor(file: string) {
    this.file = file;
  }

  /**
   * Loads the manifest at `file` (`.json` snapshot + `.log`). `legacy` converts an older
   * manifest (file -> chunk count) when there is no new one yet.
   */
  static load(file: string, legacy?: () => Map<string, string[]> | undefined): IngestManifest {
    const manifest = new IngestManifest(file);
    let found = false;
    try {
      const data = JSON.parse(readFileSync(file, "utf8")) as { files?: Record<string, TrackedFile> };
      for (const [name, entry] of Object.entries(data.files ?? {})) manifest.#entries.set(name, entry);
      found = true;
    } catch {
      // no snapshot yet
    }
    let torn = false;
    try {
      const lines = readFileSync(manifest.#logPath, "utf8").split("\n");
      found = true;
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          manifest.#apply(JSON.parse(line) as LogRecord);
        } catch {
          torn = true; // a record cut short by a crash: it and anything after it are dropped
          break;
        }
      }
    } catch {
      // no log
    }
    // Later appends must not follow a torn line: start a clean log.
    if (torn) manifest.save();
    if (!found && legacy) {
      for (const [name, ids] of legacy() ?? [])
        manifest.#entries.set(name, { hash: "", size: -1, mtimeMs: -1, ids });
    }
    return manifest;
  }

  get #logPath(): string {
    return `${this.file.replace(/\.json$/, "")}.log`;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(file: string): TrackedFile | undefined {
    return this.#entries.get(file);
  }

  files(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** Every id the manifest knows for `file`: its chunks and any pending ones. */
  knownIds(file: string): string[] {
    const entry = this.#entries.get(file);
    return entry ? [...new Set([...entry.ids, ...(entry.pending ?? [])])] : [];
  }

  /** Logs that `ids` are about to be written for `file` (added to any ids still pending). */
  setPending(file: string, ids: string[]): void {
    this.#log({ op: "pending", file, ids });
  }

  /** Logs that `file`'s chunks are now `entry.ids` (the new ones are written and the old ones deleted). */
  commit(file: string, entry: TrackedFile): void {
    this.#log({ op: "commit", file, entry });
  }

  /** Logs that `file` has no chunks any more. */
  remove(file: string): void {
    this.#log({ op: "remove", file });
  }

  /** Writes a fresh snapshot and empties the log. */
  save(): void {
    this.#closeLog();
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, JSON.stringify({ version: 1, files: Object.fromEntries(this.#entries) }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.file);
    rmSync(this.#logPath, { force: true });
  }

  close(): void {
    this.#closeLog();
  }

  #apply(record: LogRecord): void {
    if (record.op === "pending") {
      const entry = this.#entries.get(record.file) ?? { hash: "", size: -1, mtimeMs: -1, ids: [] };
      // Added to, never replaced: the ids of an earlier interrupted version may be in the store
      // too, and the commit that follows deletes every known id it does not keep.
      const pending = [...new Set([...(entry.pending ?? []), ...record.ids])];
      this.#entries.set(record.file, { ...entry, pending });
    } else if (record.op === "commit") {
      this.#entries.set(record.file, record.entry);
    } else {
      this.#entries.delete(record.file);
    }
  }

  #log(record: LogRecord): void {
    if (this.#logFd === undefined) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.#logFd = openSync(this.#logPath, "a");
    }
    writeSync(this.#logFd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#logFd);
    this.#apply(record);
  }

  #closeLog(): void {
    if (this.#logFd !== undefined) closeSync(this.#logFd);
    this.#logFd = undefined;
  }
}
