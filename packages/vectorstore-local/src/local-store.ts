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
import MiniSearch, { type Options } from "minisearch";
import { DirectoryLock } from "./lock.ts";
import {
  base64ToFloat32,
  encodeWalRecord,
  float32ToBase64,
  fsyncDirectory,
  readWal,
  WalWriter,
  writeFileAtomic,
} from "./storage.ts";
import { tokenize } from "./tokenize.ts";

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

const FORMAT = 1;
const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Manifest {
  format: number;
  generation: number;
  dimension: number | null;
  /** Bytes of the snapshot files (docs + vectors + lexical index), for the compaction policy. */
  snapshotBytes: number;
  hasSnapshot: boolean;
}

type WalRecord =
  | { op: "add"; docs: Array<{ id: string; content: string; metadata: Metadata; vector?: string }> }
  | { op: "delete"; ids: string[] };

/** One row of the docs snapshot: [id, content, metadata, vector row or -1]. */
type SnapshotRow = [string, string, Metadata, number];

const lexicalOptions: Options<{ id: string; content: string }> = {
  fields: ["content"],
  idField: "id",
  tokenize,
  processTerm: (term: string) => term,
  autoVacuum: false,
};

/**
 * The embedded DeepRecall vector store: no server, persisted to `<directory>/<collection>/`.
 * Hybrid retrieval: BM25 over the text (MiniSearch) always, plus cosine similarity over dense
 * vectors when an embedding is configured (or vectors were given to `addDocuments`), fused with
 * reciprocal rank fusion. See the package README for the storage format and the score formula.
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
  #lexical!: MiniSearch;
  #slotOf = new Map<string, number>();
  #ids: Array<string | undefined> = [];
  #contents: string[] = [];
  #metadatas: Metadata[] = [];
  /** Row in #vectors for each slot, or -1. */
  #vectorRow: Int32Array = new Int32Array(1024);
  #vectors: Float32Array = new Float32Array(0);
  #vectorRows = 0;
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
        if (error instanceof DeepRecallError) throw error;
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
      normalised = vectors.map(normalise);
    }
    const record: WalRecord = {
      op: "add",
      docs: ids.map((id, i) => ({
        id,
        content: input.documents[i]!,
        metadata: metadatas[i]!,
        ...(normalised ? { vector: float32ToBase64(normalised[i]!) } : {}),
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
        record: { op: "delete", ids: present } satisfies WalRecord,
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
    if (this.#embed && this.#vectorRows > 0) {
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
      if (error instanceof DeepRecallError) throw error;
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
    record: WalRecord | null,
    prepare: (() => void) | (() => { record: WalRecord; apply: () => void } | null),
  ): Promise<void> {
    const run = async () => {
      if (this.#closed) throw new VectorStoreError("This LocalStore is closed", { store: "local" });
      let toWrite = record;
      let apply: () => void;
      if (record) {
        apply = prepare as () => void;
      } else {
        const prepared = (prepare as () => { record: WalRecord; apply: () => void } | null)();
        if (!prepared) return;
        toWrite = prepared.record;
        apply = prepared.apply;
      }
      try {
        this.#wal.append(encodeWalRecord(toWrite));
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
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
      if (manifest.format !== FORMAT) {
        throw new VectorStoreError(`Unsupported local store format ${manifest.format} in ${manifestPath}`, {
          store: "local",
        });
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
    this.#lexical = new MiniSearch(lexicalOptions);
    if (this.#manifest.hasSnapshot) this.#loadSnapshot();
    const walPath = `${this.#file("wal")}.log`;
    const wal = readWal<WalRecord>(walPath);
    for (const record of wal.records) this.#replay(record);
    this.#wal = new WalWriter(walPath, wal.validLength);
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
    ]);
    for (const name of readdirSync(this.path)) {
      if (keep.has(name) || name.startsWith("LOCK")) continue;
      if (/^(wal|docs|vectors|lexical)-\d+\.(log|json|f32)(\.tmp)?$/.test(name) || name.endsWith(".tmp")) {
        unlinkSync(join(this.path, name));
      }
    }
  }

  #loadSnapshot(): void {
    const rows = JSON.parse(readFileSync(`${this.#file("docs")}.json`, "utf8")) as SnapshotRow[];
    const vectorBytes = readFileSync(`${this.#file("vectors")}.f32`);
    const dimension = this.#manifest.dimension;
    const vectorCount = dimension ? vectorBytes.length / 4 / dimension : 0;
    this.#vectors = new Float32Array(Math.max(vectorCount, 1) * (dimension ?? 0));
    new Uint8Array(this.#vectors.buffer).set(vectorBytes);
    this.#vectorRows = vectorCount;
    this.#ensureSlots(rows.length);
    for (let slot = 0; slot < rows.length; slot++) {
      const [id, content, metadata, row] = rows[slot]!;
      this.#ids[slot] = id;
      this.#contents[slot] = content;
      this.#metadatas[slot] = metadata;
      this.#vectorRow[slot] = row;
      this.#slotOf.set(id, slot);
    }
    this.#lexical = MiniSearch.loadJSON(
      readFileSync(`${this.#file("lexical")}.json`, "utf8"),
      lexicalOptions,
    );
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
      const needed = (this.#vectorRows + vectors.length) * dimension;
      if (this.#vectors.length < needed) {
        const grown = new Float32Array(Math.max(needed, this.#vectors.length * 2, 1024 * dimension));
        grown.set(this.#vectors.subarray(0, this.#vectorRows * dimension));
        this.#vectors = grown;
      }
    }
    const lexicalDocs: Array<{ id: string; content: string }> = [];
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
        this.#vectors.set(vectors[i]!, this.#vectorRows * this.#dimension!);
        this.#vectorRow[slot] = this.#vectorRows++;
      } else {
        this.#vectorRow[slot] = -1;
      }
      this.#slotOf.set(id, slot);
      lexicalDocs.push({ id, content: contents[i]! });
    }
    this.#lexical.addAll(lexicalDocs);
  }

  #applyDelete(ids: string[]): void {
    for (const id of ids) {
      const slot = this.#slotOf.get(id);
      if (slot !== undefined) this.#removeSlot(slot);
    }
  }

  /** Removes a slot from every index. `remove` (not `discard`) keeps BM25 statistics exact. */
  #removeSlot(slot: number): void {
    const id = this.#ids[slot]!;
    this.#lexical.remove({ id, content: this.#contents[slot]! });
    this.#slotOf.delete(id);
    this.#ids[slot] = undefined;
    this.#contents[slot] = "";
    this.#metadatas[slot] = {};
    this.#vectorRow[slot] = -1;
  }

  /**
   * Writes a new generation: docs, vectors and lexical index (each atomically), then the manifest
   * that points at them (the commit point), then deletes the previous generation. Also compacts
   * memory (dead slots and their vectors are dropped).
   */
  #compact(): void {
    const generation = this.#manifest.generation + 1;
    const dimension = this.#dimension;
    const rows: SnapshotRow[] = [];
    const liveVectorCount = dimension ? this.#countLiveVectors() : 0;
    const vectors = new Float32Array(Math.max(liveVectorCount, 1) * (dimension ?? 0));
    const ids: Array<string | undefined> = [];
    const contents: string[] = [];
    const metadatas: Metadata[] = [];
    const vectorRow = new Int32Array(Math.max(this.#slotOf.size, 1024));
    let nextRow = 0;
    for (let slot = 0; slot < this.#ids.length; slot++) {
      const id = this.#ids[slot];
      if (id === undefined) continue;
      const oldRow = this.#vectorRow[slot]!;
      let row = -1;
      if (oldRow >= 0 && dimension) {
        vectors.set(
          this.#vectors.subarray(oldRow * dimension, (oldRow + 1) * dimension),
          nextRow * dimension,
        );
        row = nextRow++;
      }
      vectorRow[ids.length] = row;
      rows.push([id, this.#contents[slot]!, this.#metadatas[slot]!, row]);
      ids.push(id);
      contents.push(this.#contents[slot]!);
      metadatas.push(this.#metadatas[slot]!);
    }
    const docsJson = JSON.stringify(rows);
    const lexicalJson = JSON.stringify(this.#lexical);
    const vectorBytes = new Uint8Array(vectors.buffer, 0, nextRow * (dimension ?? 0) * 4);
    writeFileAtomic(`${this.#file("docs", generation)}.json`, docsJson);
    writeFileAtomic(`${this.#file("vectors", generation)}.f32`, vectorBytes);
    writeFileAtomic(`${this.#file("lexical", generation)}.json`, lexicalJson);
    const newWal = new WalWriter(`${this.#file("wal", generation)}.log`, 0);
    fsyncDirectory(this.path);
    const previous = this.#manifest.generation;
    const manifest: Manifest = {
      format: FORMAT,
      generation,
      dimension,
      snapshotBytes: docsJson.length + vectorBytes.length + lexicalJson.length,
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
    ]) {
      try {
        unlinkSync(join(this.path, name));
      } catch {
        // never written (e.g. generation 0 has no snapshot)
      }
    }
    this.#ids = ids;
    this.#contents = contents;
    this.#metadatas = metadatas;
    this.#vectorRow = vectorRow;
    this.#vectors = vectors;
    this.#vectorRows = nextRow;
    this.#slotOf = new Map(ids.map((id, slot) => [id!, slot]));
  }

  #countLiveVectors(): number {
    let n = 0;
    for (let slot = 0; slot < this.#ids.length; slot++)
      if (this.#ids[slot] !== undefined && this.#vectorRow[slot]! >= 0) n++;
    return n;
  }

  #lexicalSearch(query: string, depth: number, accept: ((slot: number) => boolean) | undefined): number[] {
    const results = this.#lexical.search(query, {
      ...(accept ? { filter: (r: { id: unknown }) => accept(this.#slotOf.get(r.id as string)!) } : {}),
    });
    const out: number[] = [];
    for (let i = 0; i < results.length && out.length < depth; i++)
      out.push(this.#slotOf.get(results[i]!.id as string)!);
    return out;
  }

  /** Brute-force cosine (vectors are stored unit-length, so a dot product), top `depth` slots. */
  #denseSearch(
    query: Float32Array,
    depth: number,
    accept: ((slot: number) => boolean) | undefined,
  ): number[] {
    const dimension = this.#dimension!;
    const vectors = this.#vectors;
    const topSlots: number[] = [];
    const topScores: number[] = [];
    let floor = Number.NEGATIVE_INFINITY;
    for (let slot = 0; slot < this.#ids.length; slot++) {
      const row = this.#vectorRow[slot]!;
      if (row < 0) continue;
      const offset = row * dimension;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let k = 0;
      for (; k + 3 < dimension; k += 4) {
        a0 += query[k]! * vectors[offset + k]!;
        a1 += query[k + 1]! * vectors[offset + k + 1]!;
        a2 += query[k + 2]! * vectors[offset + k + 2]!;
        a3 += query[k + 3]! * vectors[offset + k + 3]!;
      }
      for (; k < dimension; k++) a0 += query[k]! * vectors[offset + k]!;
      const score = a0 + a1 + a2 + a3;
      if (topSlots.length >= depth && score <= floor) continue;
      if (accept && !accept(slot)) continue;
      // insert into the sorted (descending) top list
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

function normalise(vector: number[] | Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm);
  const out = new Float32Array(vector.length);
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
