import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { getErrorMessage, type Metadata, VectorStoreError } from "@deeprecall/core";
import { Bm25Index } from "./bm25.ts";
import type { SlotTable, SnapshotRow } from "./slot-table.ts";
import {
  base64ToFloat32,
  float32ToBase64,
  fsyncDirectory,
  readWal,
  WalWriter,
  writeFileAtomic,
} from "./storage.ts";
import { TOKENIZER_VERSION } from "./tokenize.ts";
import { VectorSlab } from "./vector-slab.ts";

/**
 * On-disk format. 1: MiniSearch JSON lexical index (`lexical-<gen>.json`); 2: binary BM25 index
 * (`lexical-<gen>.bin`). Format 1 collections are read (their lexical index is rebuilt from the
 * documents) and rewritten as format 2 on open; any other format is refused with a clear error.
 */
const FORMAT = 2;
const LEGACY_FORMATS = new Set([1]);

interface Manifest {
  format: number;
  generation: number;
  dimension: number | null;
  /** Bytes of the snapshot files (docs + vectors + lexical index), for the compaction policy. */
  snapshotBytes: number;
  hasSnapshot: boolean;
  /** `TOKENIZER_VERSION` the lexical index was built with (absent: 1). */
  tokenizer?: number;
}

/** A log record as written (JSON; vectors as base64 float32). */
type WalRecord =
  | { op: "add"; docs: Array<{ id: string; content: string; metadata: Metadata; vector?: string }> }
  | { op: "delete"; ids: string[] };

/** A log record before writing: vectors are still typed arrays (encoded while streaming it out). */
export type PendingRecord =
  | { op: "add"; docs: Array<{ id: string; content: string; metadata: Metadata; vector?: Float32Array }> }
  | { op: "delete"; ids: string[] };

/** The JSON of a record in small pieces (one per document), so no batch-sized string is built. */
function* walPieces(record: PendingRecord): Generator<string> {
  if (record.op === "delete") {
    yield JSON.stringify(record);
    return;
  }
  yield '{"op":"add","docs":[';
  for (let i = 0; i < record.docs.length; i++) {
    const { id, content, metadata, vector } = record.docs[i]!;
    const doc = vector
      ? { id, content, metadata, vector: float32ToBase64(vector) }
      : { id, content, metadata };
    yield (i === 0 ? "" : ",") + JSON.stringify(doc);
  }
  yield "]}";
}

/** The docs snapshot JSON, produced in pieces of 1 000 rows, not as one huge string. */
function* docsJson(rows: Iterable<SnapshotRow>): Generator<string> {
  yield "[";
  let chunk: SnapshotRow[] = [];
  let first = true;
  const flush = function* () {
    const piece = JSON.stringify(chunk);
    yield `${first ? "" : ","}${piece.slice(1, -1)}`;
    first = false;
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length === 1000) yield* flush();
  }
  if (chunk.length > 0) yield* flush();
  yield "]";
}

/**
 * A collection's files in `<directory>/<collection>/`: `manifest.json` (the commit point),
 * the snapshot of a generation (`docs-<gen>.json`, `vectors-<gen>.f32`, `lexical-<gen>.bin`)
 * and its write-ahead log (`wal-<gen>.log`, appended and fsynced per write). A crash at any
 * point leaves the previous generation, or the new one, readable.
 */
export class CollectionStorage {
  readonly path: string;
  #manifest!: Manifest;
  #wal!: WalWriter;

  constructor(path: string) {
    this.path = path;
  }

  /** Bytes in the log since the last snapshot. */
  get logSize(): number {
    return this.#wal.size;
  }

  /** Bytes of the last snapshot. */
  get snapshotBytes(): number {
    return this.#manifest.snapshotBytes;
  }

  /**
   * Reads the collection into `table` (an empty one is created): the manifest, the snapshot,
   * then every whole record of the log (a torn tail is cut off). Leftovers of a crash during
   * compaction are deleted; a collection of an older format is rewritten in the current one.
   */
  open(table: SlotTable): void {
    mkdirSync(this.path, { recursive: true });
    const manifestPath = join(this.path, "manifest.json");
    let legacy = false;
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
      legacy = LEGACY_FORMATS.has(manifest.format);
      if (manifest.format !== FORMAT && !legacy) {
        throw new VectorStoreError(
          `The local store at ${this.path} uses storage format ${JSON.stringify(manifest.format)}, but this version of @deeprecall/vectorstore-local reads formats ${[...LEGACY_FORMATS, FORMAT].join(", ")}; it was probably written by a newer version: upgrade @deeprecall/vectorstore-local`,
          { store: "local" },
        );
      }
      this.#manifest = manifest;
    } else {
      this.#manifest = {
        format: FORMAT,
        generation: 0,
        dimension: null,
        snapshotBytes: 0,
        hasSnapshot: false,
        tokenizer: TOKENIZER_VERSION,
      };
      writeFileAtomic(manifestPath, JSON.stringify(this.#manifest));
    }
    this.#removeStrayFiles();
    table.dimension = this.#manifest.dimension;
    // A lexical index of an older format or tokenizer is rebuilt from the documents.
    const rebuild =
      legacy || (this.#manifest.hasSnapshot && (this.#manifest.tokenizer ?? 1) !== TOKENIZER_VERSION);
    if (this.#manifest.hasSnapshot) this.#loadSnapshot(table, rebuild);
    const walPath = `${this.#file("wal")}.log`;
    const wal = readWal<WalRecord>(walPath);
    for (const record of wal.records) replay(table, record);
    this.#wal = new WalWriter(walPath, wal.validLength);
    // Rewrite a collection of an older format or tokenizer in the current one (a regular compaction).
    if (rebuild) this.compact(table);
  }

  /** Appends `record` to the log and fsyncs it: once this returns, the write is durable. */
  append(record: PendingRecord): void {
    try {
      this.#wal.append(walPieces(record));
    } catch (error) {
      throw new VectorStoreError(`Could not write to ${this.#wal.path}: ${getErrorMessage(error)}`, {
        store: "local",
        cause: error,
      });
    }
  }

  /**
   * Compacts `table` in memory (dead slots dropped, slots renumbered in order), then writes a
   * new generation: docs, vectors and lexical index (each atomically), then the manifest that
   * points at them (the commit point), then deletes the previous generation. If writing fails,
   * memory is still valid: it holds the same documents as the previous generation plus its
   * log, only renumbered.
   */
  compact(table: SlotTable): void {
    table.compact();
    const generation = this.#manifest.generation + 1;
    const docsBytes = writeFileAtomic(`${this.#file("docs", generation)}.json`, docsJson(table.rows()));
    const vectorBytes = writeFileAtomic(
      `${this.#file("vectors", generation)}.f32`,
      table.vectors?.toByteParts() ?? [],
    );
    const lexicalBytes = writeFileAtomic(
      `${this.#file("lexical", generation)}.bin`,
      table.lexical.serializeParts(),
    );
    const newWal = new WalWriter(`${this.#file("wal", generation)}.log`, 0);
    fsyncDirectory(this.path);
    const previous = this.#manifest.generation;
    const manifest: Manifest = {
      format: FORMAT,
      generation,
      dimension: table.dimension,
      snapshotBytes: docsBytes + vectorBytes + lexicalBytes,
      hasSnapshot: true,
      tokenizer: TOKENIZER_VERSION,
    };
    try {
      writeFileAtomic(join(this.path, "manifest.json"), JSON.stringify(manifest));
    } catch (error) {
      newWal.close();
      throw error;
    }
    // Committed. Switch over and drop the previous generation.
    this.#wal.close();
    this.#wal = newWal;
    this.#manifest = manifest;
    for (const name of generationFiles(previous)) {
      try {
        unlinkSync(join(this.path, name));
      } catch {
        // never written (e.g. generation 0 has no snapshot)
      }
    }
  }

  close(): void {
    this.#wal.close();
  }

  #file(name: string, generation = this.#manifest.generation): string {
    return join(this.path, `${name}-${generation}`);
  }

  /** Deletes temp files and files of other generations (left by a crash during compaction). */
  #removeStrayFiles(): void {
    const keep = new Set(["manifest.json", "LOCK", ...generationFiles(this.#manifest.generation)]);
    for (const name of readdirSync(this.path)) {
      if (keep.has(name) || name.startsWith("LOCK")) continue;
      if (
        /^(wal|docs|vectors|lexical)-\d+\.(log|json|f32|bin)(\.tmp)?$/.test(name) ||
        name.endsWith(".tmp")
      ) {
        unlinkSync(join(this.path, name));
      }
    }
  }

  /** `rebuildLexical`: ignore the stored lexical index (older format or tokenizer) and build it from the documents. */
  #loadSnapshot(table: SlotTable, rebuildLexical: boolean): void {
    const rows = JSON.parse(readFileSync(`${this.#file("docs")}.json`, "utf8")) as SnapshotRow[];
    const dimension = this.#manifest.dimension;
    const vectors = dimension ? VectorSlab.readFile(`${this.#file("vectors")}.f32`, dimension) : undefined;
    // Format 1 kept a MiniSearch index, older tokenizers other terms: the table rebuilds ours.
    const lexical = rebuildLexical
      ? null
      : Bm25Index.deserialize(readFileSync(`${this.#file("lexical")}.bin`));
    if (lexical && lexical.slotCount !== rows.length) {
      throw new VectorStoreError(
        `The lexical index ${this.#file("lexical")}.bin does not match the documents (${lexical.slotCount} vs ${rows.length} slots)`,
        { store: "local" },
      );
    }
    table.load(rows, vectors, lexical);
  }
}

/** The files of one generation. */
function generationFiles(generation: number): string[] {
  return [
    `wal-${generation}.log`,
    `docs-${generation}.json`,
    `vectors-${generation}.f32`,
    `lexical-${generation}.json`,
    `lexical-${generation}.bin`,
  ];
}

/** Applies one log record to the table, as it was applied when written. */
function replay(table: SlotTable, record: WalRecord): void {
  if (record.op === "add") {
    const vectors =
      record.docs[0]?.vector !== undefined ? record.docs.map((d) => base64ToFloat32(d.vector!)) : undefined;
    table.add(
      record.docs.map((d) => d.id),
      record.docs.map((d) => d.content),
      record.docs.map((d) => d.metadata),
      vectors,
    );
  } else {
    table.delete(record.ids);
  }
}

/**
 * The number of documents in the collection at `path`, read from its files without taking its
 * lock (a store in this or another process may hold it open): the snapshot's ids, then every
 * whole record of the log. A compaction running meanwhile can delete the files being read; the
 * read is then retried on the new generation.
 */
export function peekCollectionCount(path: string): number {
  for (let attempt = 0; ; attempt++) {
    try {
      const manifest = JSON.parse(readFileSync(join(path, "manifest.json"), "utf8")) as Manifest;
      const ids = new Set<string>();
      if (manifest.hasSnapshot) {
        const rows = JSON.parse(
          readFileSync(join(path, `docs-${manifest.generation}.json`), "utf8"),
        ) as SnapshotRow[];
        for (const row of rows) ids.add(row[0]);
      }
      for (const record of readWal<WalRecord>(join(path, `wal-${manifest.generation}.log`)).records) {
        if (record.op === "add") for (const doc of record.docs) ids.add(doc.id);
        else for (const id of record.ids) ids.delete(id);
      }
      return ids.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && attempt < 5) continue;
      throw new VectorStoreError(
        `Could not read the local collection at ${path}: ${getErrorMessage(error)}`,
        {
          store: "local",
          cause: error,
        },
      );
    }
  }
}
