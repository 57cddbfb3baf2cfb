import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type AddDocumentsInput,
  assertDimensions,
  ConfigError,
  DeepRecallError,
  type Embedding,
  type EmbeddingFunction,
  type Metadata,
  matchesFilter,
  type SearchOptions,
  type SearchResult,
  toEmbeddingFunction,
  type VectorStore,
  VectorStoreError,
  validateAddDocumentsInput,
  validateFilter,
} from "@deeprecall/core";
import { Bm25Index } from "./bm25.ts";
import { DirectoryLock } from "./lock.ts";
import {
  base64ToFloat32,
  float32ToBase64,
  fsyncDirectory,
  readWal,
  WalWriter,
  writeFileAtomic,
} from "./storage.ts";
import { tokenize } from "./tokenize.ts";
import { VectorSlab } from "./vector-slab.ts";

export interface LocalStoreOptions {
  /** Directory holding the collections; created if missing. */
  directory: string;
  /** Collection name (a sub-directory). Default "deeprecall". */
  collection?: string;
  /** AI SDK EmbeddingModel or `(texts) => Promise<number[][]>`. Without it, retrieval is BM25 only. */
  embedding?: Embedding;
  /** Reciprocal rank fusion constant k. Default 60. */
  rrfK?: number;
  /** Default topK when `search` gets none. Default 10. */
  defaultTopK?: number;
  /**
   * Compact (rewrite the snapshot, empty the log) once the log holds at least this many bytes and
   * at least half the snapshot's size. Default 16 MiB.
   */
  compactionThresholdBytes?: number;
}

/**
 * On-disk format. 1: MiniSearch JSON lexical index (`lexical-<gen>.json`); 2: binary BM25 index
 * (`lexical-<gen>.bin`). Format 1 collections are read (their lexical index is rebuilt from the
 * documents) and rewritten as format 2 on open; any other format is refused with a clear error.
 */
const FORMAT = 2;
const LEGACY_FORMATS = new Set([1]);
const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Manifest {
  format: number;
  generation: number;
  dimension: number | null;
  /** Bytes of the snapshot files (docs + vectors + lexical index), for the compaction policy. */
  snapshotBytes: number;
  hasSnapshot: boolean;
}

/** A log record as written (JSON; vectors as base64 float32). */
type WalRecord =
  | { op: "add"; docs: Array<{ id: string; content: string; metadata: Metadata; vector?: string }> }
  | { op: "delete"; ids: string[] };

/** A log record before writing: vectors are still typed arrays (encoded while streaming it out). */
type PendingRecord =
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

/** One row of the docs snapshot: [id, content, metadata, vector row or -1]. */
type SnapshotRow = [string, string, Metadata, number];

/**
 * The embedded DeepRecall vector store: no server, persisted to `<directory>/<collection>/`.
 * Hybrid retrieval: BM25 over the text (a typed-array inverted index, see bm25.ts) always, plus
 * cosine similarity over dense vectors when an embedding is configured (or vectors were given to
 * `addDocuments`), fused with reciprocal rank fusion. See the package README for the storage format and the score formula.
 */
export class LocalStore implements VectorStore {
  readonly name = "local";
  readonly directory: string;
  readonly collection: string;
  /** `<directory>/<collection>` */
  readonly path: string;

  #embed: EmbeddingFunction | undefined;
  #rrfK: number;
  #defaultTopK: number;
  #compactionThreshold: number;
  #lock: DirectoryLock;
  #opening: Promise<void> | undefined;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();

  // state (valid after open)
  #manifest!: Manifest;
  #wal!: WalWriter;
  #lexical: Bm25Index = new Bm25Index();
  #slotOf = new Map<string, number>();
  #ids: Array<string | undefined> = [];
  #contents: string[] = [];
  #metadatas: Metadata[] = [];
  /** Row in #vectors for each slot, or -1. */
  #vectorRow: Int32Array = new Int32Array(1024);
  /** Slot of each row in #vectors, or -1 once that slot was removed. */
  #rowSlot: Int32Array = new Int32Array(0);
  /** Unit-length vectors, created with the first vector. */
  #vectors: VectorSlab | undefined;
  #dimension: number | null = null;

  constructor(options: LocalStoreOptions) {
    if (!options || typeof options.directory !== "string" || options.directory === "") {
      throw new ConfigError("LocalStore needs a directory", { field: "directory" });
    }
    const collection = options.collection ?? "deeprecall";
    if (!COLLECTION_NAME.test(collection)) {
      throw new ConfigError(
        `Invalid collection name ${JSON.stringify(collection)}: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
        { field: "collection" },
      );
    }
    this.directory = resolve(options.directory);
    this.collection = collection;
    this.path = join(this.directory, collection);
    this.#embed = options.embedding ? toEmbeddingFunction(options.embedding) : undefined;
    this.#rrfK = options.rrfK ?? 60;
    this.#defaultTopK = options.defaultTopK ?? 10;
    this.#compactionThreshold = options.compactionThresholdBytes ?? 16 * 1024 * 1024;
    this.#lock = new DirectoryLock(this.path);
  }

  /** Opens the collection (takes the lock, loads the data). Called implicitly by every method. */
  open(): Promise<void> {
    if (this.#closed)
      return Promise.reject(new VectorStoreError("This LocalStore is closed", { store: "local" }));
    this.#opening ??= Promise.resolve().then(() => {
      try {
        this.#openSync();
      } catch (error) {
        this.#lock.release();
        if (DeepRecallError.isInstance(error)) throw error;
        throw new VectorStoreError(
          `Could not open the local store at ${this.path}: ${(error as Error).message}`,
          {
            store: "local",
            cause: error,
          },
        );
      }
    });
    return this.#opening;
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    const ids = validateAddDocumentsInput(input);
    const metadatas = (input.metadatas ?? input.documents.map(() => ({}))).map(cloneMetadata);
    await this.open();
    let vectors: number[][] | undefined = input.embeddings;
    if (!vectors && this.#embed) vectors = await this.#embedTexts(input.documents);
    let normalised: Float32Array[] | undefined;
    if (vectors) {
      assertDimensions(vectors, this.#dimension ?? (vectors[0]?.length || 0));
      if (vectors[0]!.length === 0)
        throw new ConfigError("embeddings must not be empty", { field: "embeddings" });
      // One allocation for the batch; each vector is a view into it.
      const dimension = vectors[0]!.length;
      const batch = new Float32Array(vectors.length * dimension);
      normalised = vectors.map((vector, i) =>
        normalise(vector, batch.subarray(i * dimension, (i + 1) * dimension)),
      );
    }
    const record: PendingRecord = {
      op: "add",
      docs: ids.map((id, i) => ({
        id,
        content: input.documents[i]!,
        metadata: metadatas[i]!,
        ...(normalised ? { vector: normalised[i]! } : {}),
      })),
    };
    await this.#write(record, () => this.#applyAdd(ids, input.documents, metadatas, normalised));
    return ids;
  }

  async delete(ids: string[]): Promise<void> {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new ConfigError("delete expects an array of id strings", { field: "ids" });
    }
    await this.open();
    await this.#write(null, () => {
      const present = [...new Set(ids)].filter((id) => this.#slotOf.has(id));
      if (present.length === 0) return null;
      return {
        record: { op: "delete", ids: present } satisfies PendingRecord,
        apply: () => this.#applyDelete(present),
      };
    });
  }

  async count(): Promise<number> {
    await this.open();
    return this.#slotOf.size;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    if (typeof query !== "string") throw new ConfigError("query must be a string", { field: "query" });
    const topK = options.topK ?? this.#defaultTopK;
    if (!Number.isInteger(topK) || topK < 1) {
      throw new ConfigError(`topK must be a positive integer, got ${String(topK)}`, { field: "topK" });
    }
    const filters = options.filters;
    if (filters !== undefined) validateFilter(filters);
    options.signal?.throwIfAborted();
    await this.open();
    if (this.#slotOf.size === 0) return [];

    // Dense candidates first (the only async step), then everything else synchronously so the
    // ranking sees one consistent state.
    let queryVector: Float32Array | undefined;
    if (this.#embed && this.#vectors && this.#vectors.rows > 0) {
      const [vector] = await this.#embedTexts([query], options.signal);
      if (vector!.length !== this.#dimension) {
        throw new ConfigError(
          `The embedding returns ${vector!.length}-dimensional vectors but the collection "${this.collection}" stores ${this.#dimension}-dimensional ones; use the embedding model the collection was built with`,
          { field: "embedding" },
        );
      }
      queryVector = normalise(vector!);
    }
    options.signal?.throwIfAborted();

    const depth = Math.max(topK, 50);
    const accept = filters ? (slot: number) => matchesFilter(this.#metadatas[slot]!, filters) : undefined;
    const lexical = this.#lexicalSearch(query, depth, accept);
    const dense = queryVector ? this.#denseSearch(queryVector, depth, accept) : undefined;
    return this.#fuse(lexical, dense, topK);
  }

  /** Writes pending data into a fresh snapshot if the log is large, releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    if (!opening) return;
    try {
      await opening;
    } catch {
      return;
    }
    await this.#queue.catch(() => {});
    try {
      if (this.#wal.size > 0 && this.#wal.size >= Math.max(1024 * 1024, this.#manifest.snapshotBytes / 4)) {
        this.#compact();
      }
    } finally {
      this.#wal.close();
      this.#lock.release();
    }
  }

  /** Rewrites the snapshot and empties the log now (normally automatic). */
  async compact(): Promise<void> {
    await this.open();
    await this.#write(null, () => {
      this.#compact();
      return null;
    });
  }

  // ---- internals ------------------------------------------------------------------------------

  async #embedTexts(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    try {
      return await this.#embed!(texts, signal ? { signal } : undefined);
    } catch (error) {
      if (DeepRecallError.isInstance(error)) throw error;
      if (signal?.aborted) throw error;
      throw new VectorStoreError(
        `The embedding model failed: ${(error as Error)?.message ?? String(error)}`,
        {
          store: "local",
          cause: error,
          retryable: true,
        },
      );
    }
  }

  /**
   * Serialises writes. `record` (or what `prepare` returns) is appended to the log and fsynced,
   * then applied in memory; so memory only ever reflects durable data.
   */
  #write(
    record: PendingRecord | null,
    prepare: (() => void) | (() => { record: PendingRecord; apply: () => void } | null),
  ): Promise<void> {
    const run = async () => {
      if (this.#closed) throw new VectorStoreError("This LocalStore is closed", { store: "local" });
      let toWrite = record;
      let apply: () => void;
      if (record) {
        apply = prepare as () => void;
      } else {
        const prepared = (prepare as () => { record: PendingRecord; apply: () => void } | null)();
        if (!prepared) return;
        toWrite = prepared.record;
        apply = prepared.apply;
      }
      try {
        this.#wal.append(walPieces(toWrite!));
      } catch (error) {
        throw new VectorStoreError(`Could not write to ${this.#wal.path}: ${(error as Error).message}`, {
          store: "local",
          cause: error,
        });
      }
      apply();
      if (toWrite?.op === "add" && toWrite.docs[0]?.vector && this.#manifest.dimension === null) {
        this.#manifest.dimension = this.#dimension;
      }
      if (this.#wal.size >= Math.max(this.#compactionThreshold, this.#manifest.snapshotBytes / 2))
        this.#compact();
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  #file(name: string, generation = this.#manifest.generation): string {
    return join(this.path, `${name}-${generation}`);
  }

  #openSync(): void {
    mkdirSync(this.path, { recursive: true });
    this.#lock.acquire();
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
      };
      writeFileAtomic(manifestPath, JSON.stringify(this.#manifest));
    }
    this.#removeStrayFiles();
    this.#dimension = this.#manifest.dimension;
    this.#lexical = new Bm25Index();
    if (this.#manifest.hasSnapshot) this.#loadSnapshot(legacy);
    const walPath = `${this.#file("wal")}.log`;
    const wal = readWal<WalRecord>(walPath);
    for (const record of wal.records) this.#replay(record);
    this.#wal = new WalWriter(walPath, wal.validLength);
    // Rewrite a collection of an older format in the current one (a regular compaction).
    if (legacy) this.#compact();
  }

  /** Deletes temp files and files of other generations (left by a crash during compaction). */
  #removeStrayFiles(): void {
    const keep = new Set([
      "manifest.json",
      "LOCK",
      `wal-${this.#manifest.generation}.log`,
      `docs-${this.#manifest.generation}.json`,
      `vectors-${this.#manifest.generation}.f32`,
      `lexical-${this.#manifest.generation}.json`,
      `lexical-${this.#manifest.generation}.bin`,
    ]);
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

  #loadSnapshot(legacy: boolean): void {
    const rows = JSON.parse(readFileSync(`${this.#file("docs")}.json`, "utf8")) as SnapshotRow[];
    const dimension = this.#manifest.dimension;
    this.#vectors = dimension ? VectorSlab.readFile(`${this.#file("vectors")}.f32`, dimension) : undefined;
    const vectorCount = this.#vectors?.rows ?? 0;
    this.#rowSlot = new Int32Array(Math.max(vectorCount, 1024));
    this.#ensureSlots(rows.length);
    for (let slot = 0; slot < rows.length; slot++) {
      const [id, content, metadata, row] = rows[slot]!;
      this.#ids[slot] = id;
      this.#contents[slot] = content;
      this.#metadatas[slot] = metadata;
      this.#vectorRow[slot] = row;
      if (row >= 0) this.#rowSlot[row] = slot;
      this.#slotOf.set(id, slot);
    }
    if (legacy) {
      // Format 1 kept a MiniSearch index; rebuild ours from the documents.
      for (let slot = 0; slot < rows.length; slot++) this.#lexical.add(slot, tokenize(this.#contents[slot]!));
    } else {
      this.#lexical = Bm25Index.deserialize(readFileSync(`${this.#file("lexical")}.bin`));
      if (this.#lexical.slotCount !== rows.length) {
        throw new VectorStoreError(
          `The lexical index ${this.#file("lexical")}.bin does not match the documents (${this.#lexical.slotCount} vs ${rows.length} slots)`,
          { store: "local" },
        );
      }
    }
  }

  #replay(record: WalRecord): void {
    if (record.op === "add") {
      const vectors =
        record.docs[0]?.vector !== undefined ? record.docs.map((d) => base64ToFloat32(d.vector!)) : undefined;
      if (vectors && this.#dimension === null) this.#manifest.dimension = vectors[0]!.length;
      this.#applyAdd(
        record.docs.map((d) => d.id),
        record.docs.map((d) => d.content),
        record.docs.map((d) => d.metadata),
        vectors,
      );
    } else {
      this.#applyDelete(record.ids);
    }
  }

  #ensureSlots(n: number): void {
    if (this.#vectorRow.length >= n) return;
    const grown = new Int32Array(Math.max(n, this.#vectorRow.length * 2));
    grown.set(this.#vectorRow);
    this.#vectorRow = grown;
  }

  #applyAdd(
    ids: string[],
    contents: string[],
    metadatas: Metadata[],
    vectors: Float32Array[] | undefined,
  ): void {
    if (vectors) {
      const dimension = vectors[0]!.length;
      this.#dimension ??= dimension;
      this.#vectors ??= new VectorSlab(dimension);
      const rows = this.#vectors.rows + vectors.length;
      if (this.#rowSlot.length < rows) {
        const grown = new Int32Array(Math.max(rows, Math.ceil(this.#rowSlot.length * 1.5), 1024));
        grown.set(this.#rowSlot.subarray(0, this.#vectors.rows));
        this.#rowSlot = grown;
      }
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const old = this.#slotOf.get(id);
      if (old !== undefined) this.#removeSlot(old);
      const slot = this.#ids.length;
      this.#ensureSlots(slot + 1);
      this.#ids.push(id);
      this.#contents.push(contents[i]!);
      this.#metadatas.push(metadatas[i]!);
      if (vectors) {
        const row = this.#vectors!.append(vectors[i]!);
        this.#rowSlot[row] = slot;
        this.#vectorRow[slot] = row;
      } else {
        this.#vectorRow[slot] = -1;
      }
      this.#slotOf.set(id, slot);
      this.#lexical.add(slot, tokenize(contents[i]!));
    }
  }

  #applyDelete(ids: string[]): void {
    for (const id of ids) {
      const slot = this.#slotOf.get(id);
      if (slot !== undefined) this.#removeSlot(slot);
    }
  }

  /** Removes a slot from every index; the BM25 statistics stay exact (see bm25.ts). */
  #removeSlot(slot: number): void {
    const id = this.#ids[slot]!;
    this.#lexical.remove(slot, tokenize(this.#contents[slot]!));
    this.#slotOf.delete(id);
    this.#ids[slot] = undefined;
    this.#contents[slot] = "";
    this.#metadatas[slot] = {};
    const row = this.#vectorRow[slot]!;
    if (row >= 0) this.#rowSlot[row] = -1;
    this.#vectorRow[slot] = -1;
  }

  /**
   * Compacts memory (dead slots, their vectors and postings are dropped; slots are renumbered in
   * order), then writes a new generation: docs, vectors and lexical index (each atomically), then
   * the manifest that points at them (the commit point), then deletes the previous generation.
   * If writing fails, memory is still valid: it holds the same documents as the previous
   * generation plus its log, only renumbered.
   */
  #compact(): void {
    this.#compactMemory();
    const generation = this.#manifest.generation + 1;
    const dimension = this.#dimension;
    // The docs JSON is produced and written in pieces of 1 000 rows, not as one huge string.
    const ids = this.#ids;
    const contents = this.#contents;
    const metadatas = this.#metadatas;
    const vectorRow = this.#vectorRow;
    function* docsJson(): Generator<string> {
      yield "[";
      for (let start = 0; start < ids.length; start += 1000) {
        const rows: SnapshotRow[] = [];
        for (let slot = start; slot < Math.min(start + 1000, ids.length); slot++) {
          rows.push([ids[slot]!, contents[slot]!, metadatas[slot]!, vectorRow[slot]!]);
        }
        const piece = JSON.stringify(rows);
        yield `${start === 0 ? "" : ","}${piece.slice(1, -1)}`;
      }
      yield "]";
    }
    const docsBytes = writeFileAtomic(`${this.#file("docs", generation)}.json`, docsJson());
    const vectorBytes = writeFileAtomic(
      `${this.#file("vectors", generation)}.f32`,
      this.#vectors?.toByteParts() ?? [],
    );
    const lexicalBytes = writeFileAtomic(
      `${this.#file("lexical", generation)}.bin`,
      this.#lexical.serializeParts(),
    );
    const newWal = new WalWriter(`${this.#file("wal", generation)}.log`, 0);
    fsyncDirectory(this.path);
    const previous = this.#manifest.generation;
    const manifest: Manifest = {
      format: FORMAT,
      generation,
      dimension,
      snapshotBytes: docsBytes + vectorBytes + lexicalBytes,
      hasSnapshot: true,
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
    for (const name of [
      `wal-${previous}.log`,
      `docs-${previous}.json`,
      `vectors-${previous}.f32`,
      `lexical-${previous}.json`,
      `lexical-${previous}.bin`,
    ]) {
      try {
        unlinkSync(join(this.path, name));
      } catch {
        // never written (e.g. generation 0 has no snapshot)
      }
    }
  }

  /** Drops dead slots (and their vectors and postings), renumbering the live ones in order. */
  #compactMemory(): void {
    const slotCount = this.#ids.length;
    const live = this.#slotOf.size;
    const remap = new Int32Array(Math.max(slotCount, 1));
    const ids: Array<string | undefined> = new Array(live);
    const contents: string[] = new Array(live);
    const metadatas: Metadata[] = new Array(live);
    const vectorRow = new Int32Array(Math.max(live, 1024));
    const oldVectors = this.#vectors;
    const liveVectorCount = this.#countLiveVectors();
    const vectors =
      oldVectors && liveVectorCount !== oldVectors.rows
        ? oldVectors.filter((row) => this.#rowSlot[row]! >= 0)
        : oldVectors;
    const rowSlot = new Int32Array(Math.max(liveVectorCount, 1024));
    let next = 0;
    let nextRow = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      const id = this.#ids[slot];
      if (id === undefined) {
        remap[slot] = -1;
        continue;
      }
      let row = -1;
      if (this.#vectorRow[slot]! >= 0) {
        row = nextRow++;
        rowSlot[row] = next;
      }
      remap[slot] = next;
      vectorRow[next] = row;
      ids[next] = id;
      contents[next] = this.#contents[slot]!;
      metadatas[next] = this.#metadatas[slot]!;
      next++;
    }
    this.#lexical.compact(remap, live);
    this.#ids = ids;
    this.#contents = contents;
    this.#metadatas = metadatas;
    this.#vectorRow = vectorRow;
    this.#rowSlot = rowSlot;
    this.#vectors = vectors;
    if (live !== slotCount) {
      this.#slotOf = new Map();
      for (let slot = 0; slot < live; slot++) this.#slotOf.set(ids[slot]!, slot);
    }
  }

  #countLiveVectors(): number {
    let n = 0;
    for (let slot = 0; slot < this.#ids.length; slot++)
      if (this.#ids[slot] !== undefined && this.#vectorRow[slot]! >= 0) n++;
    return n;
  }

  #lexicalSearch(query: string, depth: number, accept: ((slot: number) => boolean) | undefined): number[] {
    return this.#lexical.search(tokenize(query), depth, accept).map((hit) => hit.slot);
  }

  /**
   * Exact (brute-force) cosine: vectors are stored unit-length, so a dot product per row, computed
   * by the slab (WebAssembly SIMD where possible). Returns the top `depth` slots.
   */
  #denseSearch(
    query: Float32Array,
    depth: number,
    accept: ((slot: number) => boolean) | undefined,
  ): number[] {
    const rowSlot = this.#rowSlot;
    const topSlots: number[] = [];
    const topScores: number[] = [];
    let floor = Number.NEGATIVE_INFINITY;
    this.#vectors!.forEachScoreBlock(query, (firstRow, scores) => {
      for (let r = 0; r < scores.length; r++) {
        const score = scores[r]!;
        if (topSlots.length >= depth && score <= floor) continue;
        const slot = rowSlot[firstRow + r]!;
        if (slot < 0) continue;
        if (accept && !accept(slot)) continue;
        // insert into the sorted (descending) top list; equal scores keep row order
        let i = topScores.length;
        while (i > 0 && topScores[i - 1]! < score) i--;
        topScores.splice(i, 0, score);
        topSlots.splice(i, 0, slot);
        if (topSlots.length > depth) {
          topScores.pop();
          topSlots.pop();
        }
        if (topSlots.length >= depth) floor = topScores[topScores.length - 1]!;
      }
    });
    return topSlots;
  }

  /**
   * Reciprocal rank fusion: fused(d) = Σ over active retrievers of 1 / (k + rank(d)), ranks from 1.
   * Normalised by the best possible value (rank 1 in every active retriever), so a document ranked
   * first by every retriever scores 1 and every score is in (0, 1].
   */
  #fuse(lexical: number[], dense: number[] | undefined, topK: number): SearchResult[] {
    const k = this.#rrfK;
    const fused = new Map<number, number>();
    const lists = dense && dense.length > 0 ? [lexical, dense] : [lexical];
    for (const list of lists) {
      list.forEach((slot, index) => {
        fused.set(slot, (fused.get(slot) ?? 0) + 1 / (k + index + 1));
      });
    }
    const best = lists.length / (k + 1);
    const lexicalRank = new Map(lexical.map((slot, index) => [slot, index]));
    return [...fused.entries()]
      .sort(
        (a, b) =>
          b[1] - a[1] ||
          (lexicalRank.get(a[0]) ?? Number.MAX_SAFE_INTEGER) -
            (lexicalRank.get(b[0]) ?? Number.MAX_SAFE_INTEGER) ||
          (this.#ids[a[0]]! < this.#ids[b[0]]! ? -1 : 1),
      )
      .slice(0, topK)
      .map(([slot, score]) => ({
        id: this.#ids[slot]!,
        content: this.#contents[slot]!,
        metadata: structuredClone(this.#metadatas[slot]!) as Record<string, unknown>,
        score: Math.min(1, score / best),
      }));
  }
}

function normalise(vector: number[] | Float32Array, out = new Float32Array(vector.length)): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm);
  if (norm === 0) return out;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

function cloneMetadata(metadata: Metadata, index: number): Metadata {
  try {
    return JSON.parse(JSON.stringify(metadata)) as Metadata;
  } catch (error) {
    throw new ConfigError(`metadatas[${index}] is not JSON-serialisable: ${(error as Error).message}`, {
      field: `metadatas[${index}]`,
    });
  }
}
