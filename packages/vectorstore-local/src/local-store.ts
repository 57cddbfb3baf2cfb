import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type AddDocumentsInput,
  assertDimensions,
  type CollectionInfo,
  ConfigError,
  DeepRecallError,
  type Embedding,
  type EmbeddingFunction,
  getErrorMessage,
  type ListOptions,
  type ListPage,
  type Metadata,
  matchesFilter,
  type SearchOptions,
  type SearchResult,
  toEmbeddingFunction,
  type VectorStore,
  type VectorStoreCollections,
  VectorStoreError,
  validateAddDocumentsInput,
  validateFilter,
} from "@deeprecall/core";
import { CollectionStorage, type PendingRecord, peekCollectionCount } from "./collection-storage.ts";
import { denseTopK, normalise } from "./dense-top-k.ts";
import { DirectoryLock } from "./lock.ts";
import { reciprocalRankFusion } from "./rank-fusion.ts";
import { SlotTable } from "./slot-table.ts";
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

const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Options of `LocalStore.collections`: those of a store, without the collection. */
export type LocalCollectionsOptions = Omit<LocalStoreOptions, "collection">;

/** A write: the log record that makes it durable, and how memory then reflects it. */
interface WritePlan {
  record: PendingRecord;
  apply: () => void;
}

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
  #storage: CollectionStorage;
  #table = new SlotTable();
  #opening: Promise<void> | undefined;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  /** Live ids in `compareIds` order, for `list`; dropped by every write. */
  #sortedIds: string[] | undefined;

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
    this.#storage = new CollectionStorage(this.path);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The collections under `directory` (sub-directories holding a local store), sorted by name,
   * with their document counts. Collections another store (or process) holds open are read
   * without taking their lock, so this works next to a running server.
   */
  static async listCollections(directory: string): Promise<CollectionInfo[]> {
    const root = resolve(directory);
    let names: string[];
    try {
      names = readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && COLLECTION_NAME.test(entry.name))
        .map((entry) => entry.name)
        .filter((name) => existsSync(join(root, name, "manifest.json")));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new VectorStoreError(
        `Could not read the local store directory ${root}: ${getErrorMessage(error)}`,
        {
          store: "local",
          cause: error,
        },
      );
    }
    return names.sort().map((name) => ({ name, count: peekCollectionCount(join(root, name)) }));
  }

  /**
   * Every collection under one directory: `listCollections()` with counts, and `open(name)` for
   * the store of one (the same instance until it is closed: a collection has one writer per
   * process). Open stores count themselves; the others are read from disk.
   */
  static collections(options: LocalCollectionsOptions): VectorStoreCollections {
    if (!options || typeof options.directory !== "string" || options.directory === "") {
      throw new ConfigError("LocalStore.collections needs a directory", { field: "directory" });
    }
    const open = new Map<string, LocalStore>();
    const live = (name: string) => {
      const store = open.get(name);
      return store && !store.closed ? store : undefined;
    };
    return {
      kind: "local",
      listCollections: async () => {
        const onDisk = await LocalStore.listCollections(options.directory);
        return Promise.all(
          onDisk.map(async (info) => {
            const store = live(info.name);
            return store ? { name: info.name, count: await store.count() } : info;
          }),
        );
      },
      open: (name: string) => {
        let store = live(name);
        if (!store) {
          store = new LocalStore({ ...options, collection: name });
          open.set(name, store);
        }
        return store;
      },
      close: async () => {
        const stores = [...open.values()];
        open.clear();
        await Promise.all(stores.map((store) => store.close()));
      },
    };
  }

  /**
   * Opens the collection (takes the lock, loads the data). Called implicitly by every method. A
   * failed open (the lock held by another process, say) is tried again by the next call.
   */
  open(): Promise<void> {
    if (this.#closed)
      return Promise.reject(new VectorStoreError("This LocalStore is closed", { store: "local" }));
    if (this.#opening) return this.#opening;
    const opening = Promise.resolve().then(() => {
      try {
        mkdirSync(this.path, { recursive: true });
        this.#lock.acquire();
        this.#table = new SlotTable();
        this.#storage.open(this.#table);
      } catch (error) {
        this.#lock.release();
        if (DeepRecallError.isInstance(error)) throw error;
        throw new VectorStoreError(
          `Could not open the local store at ${this.path}: ${getErrorMessage(error)}`,
          {
            store: "local",
            cause: error,
          },
        );
      }
    });
    this.#opening = opening;
    opening.catch(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    return opening;
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    const ids = validateAddDocumentsInput(input);
    const metadatas = (input.metadatas ?? input.documents.map(() => ({}))).map(cloneMetadata);
    await this.open();
    let vectors: number[][] | undefined = input.embeddings;
    if (!vectors && this.#embed) vectors = await this.#embedTexts(input.documents);
    let normalised: Float32Array[] | undefined;
    if (vectors) {
      assertDimensions(vectors, this.#table.dimension ?? (vectors[0]?.length || 0));
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
    await this.#write(() => ({
      record,
      apply: () => this.#table.add(ids, input.documents, metadatas, normalised),
    }));
    return ids;
  }

  async delete(ids: string[]): Promise<void> {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new ConfigError("delete expects an array of id strings", { field: "ids" });
    }
    await this.open();
    await this.#write(() => {
      const present = [...new Set(ids)].filter((id) => this.#table.slotOf.has(id));
      if (present.length === 0) return null;
      return { record: { op: "delete", ids: present }, apply: () => this.#table.delete(present) };
    });
  }

  async count(): Promise<number> {
    await this.open();
    return this.#table.size;
  }

  /** Pages through the documents in id order; the cursor is the last id of the previous page. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const { limit, after } = parseListOptions(options);
    options.signal?.throwIfAborted();
    await this.open();
    const table = this.#table;
    this.#sortedIds ??= [...table.slotOf.keys()].sort(compareIds);
    const sortedIds = this.#sortedIds;
    let start = 0;
    if (after !== undefined) {
      // first id > after (binary search)
      let hi = sortedIds.length;
      while (start < hi) {
        const mid = (start + hi) >>> 1;
        if (compareIds(sortedIds[mid]!, after) <= 0) start = mid + 1;
        else hi = mid;
      }
    }
    const page = sortedIds.slice(start, start + limit);
    const documents = page.map((id) => {
      const slot = table.slotOf.get(id)!;
      return {
        id,
        content: table.contents[slot]!,
        metadata: structuredClone(table.metadatas[slot]!) as Record<string, unknown>,
      };
    });
    const more = start + limit < sortedIds.length;
    return { documents, nextCursor: more && page.length > 0 ? encodeCursor(page.at(-1)!) : null };
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
    if (this.#table.size === 0) return [];

    // Dense candidates first (the only async step), then everything else synchronously so the
    // ranking sees one consistent state.
    let queryVector: Float32Array | undefined;
    if (this.#embed && this.#table.vectors && this.#table.vectors.rows > 0) {
      const [vector] = await this.#embedTexts([query], options.signal);
      if (vector!.length !== this.#table.dimension) {
        throw new ConfigError(
          `The embedding returns ${vector!.length}-dimensional vectors but the collection "${this.collection}" stores ${this.#table.dimension}-dimensional ones; use the embedding model the collection was built with`,
          { field: "embedding" },
        );
      }
      queryVector = normalise(vector!);
    }
    options.signal?.throwIfAborted();

    const table = this.#table;
    const depth = Math.max(topK, 50);
    const accept = filters ? (slot: number) => matchesFilter(table.metadatas[slot]!, filters) : undefined;
    const lexical = table.lexical.search(tokenize(query), depth, accept).map((hit) => hit.slot);
    const dense = queryVector ? denseTopK(table.vectors!, table.rowSlot, queryVector, depth, accept) : [];
    const lists = dense.length > 0 ? [lexical, dense] : [lexical];
    const byId = (a: number, b: number) => (table.ids[a]! < table.ids[b]! ? -1 : 1);
    return reciprocalRankFusion(lists, this.#rrfK, topK, byId).map(({ slot, score }) => ({
      id: table.ids[slot]!,
      content: table.contents[slot]!,
      metadata: structuredClone(table.metadatas[slot]!) as Record<string, unknown>,
      score,
    }));
  }

  /**
   * Writes pending data into a fresh snapshot when the log holds at least 1 MiB and a quarter
   * of the snapshot's size, then releases the lock. Idempotent.
   */
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
      const logSize = this.#storage.logSize;
      if (logSize > 0 && logSize >= Math.max(1024 * 1024, this.#storage.snapshotBytes / 4)) {
        this.#storage.compact(this.#table);
      }
    } finally {
      this.#storage.close();
      this.#lock.release();
    }
  }

  /** Rewrites the snapshot and empties the log now (normally automatic). */
  async compact(): Promise<void> {
    await this.open();
    await this.#serialise(() => this.#storage.compact(this.#table));
  }

  // ---- internals ------------------------------------------------------------------------------

  async #embedTexts(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    try {
      return await this.#embed!(texts, signal ? { signal } : undefined);
    } catch (error) {
      if (DeepRecallError.isInstance(error)) throw error;
      if (signal?.aborted) throw error;
      throw new VectorStoreError(`The embedding model failed: ${getErrorMessage(error)}`, {
        store: "local",
        cause: error,
        retryable: true,
      });
    }
  }

  /** Runs `task` after every earlier write or compaction (one at a time), unless the store is closed. */
  #serialise(task: () => void): Promise<void> {
    const run = () => {
      if (this.#closed) throw new VectorStoreError("This LocalStore is closed", { store: "local" });
      task();
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Serialises writes. `plan` runs in turn (so it sees every earlier write) and says what to
   * write (null: nothing). Its record is appended to the log and fsynced first, then applied in
   * memory: so memory only ever reflects durable data. A large log is compacted afterwards.
   */
  #write(plan: () => WritePlan | null): Promise<void> {
    return this.#serialise(() => {
      const write = plan();
      if (!write) return;
      this.#storage.append(write.record);
      write.apply();
      this.#sortedIds = undefined;
      const threshold = Math.max(this.#compactionThreshold, this.#storage.snapshotBytes / 2);
      if (this.#storage.logSize >= threshold) this.#storage.compact(this.#table);
    });
  }
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/** Checks `list` options; `after` is the id the cursor points past. */
function parseListOptions(options: ListOptions): { limit: number; after: string | undefined } {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ConfigError(`limit must be an integer from 1 to 1000, got ${String(limit)}`, {
      field: "limit",
    });
  }
  if (options.cursor === undefined) return { limit, after: undefined };
  if (typeof options.cursor !== "string" || !/^[A-Za-z0-9_-]+$/.test(options.cursor)) {
    throw new ConfigError("cursor is not one this store returned (use nextCursor of the previous page)", {
      field: "cursor",
    });
  }
  return { limit, after: Buffer.from(options.cursor, "base64url").toString("utf8") };
}

/**
 * A JSON copy of one metadata object, without null values and empty arrays: no store keeps those
 * (Chroma and Pinecone drop them), so a filter on null matches the same documents everywhere.
 */
function cloneMetadata(metadata: Metadata, index: number): Metadata {
  try {
    const copy = JSON.parse(JSON.stringify(metadata)) as Metadata;
    for (const [key, value] of Object.entries(copy)) {
      if (value === null || (Array.isArray(value) && value.length === 0)) delete copy[key];
    }
    return copy;
  } catch (error) {
    throw new ConfigError(`metadatas[${index}] is not JSON-serialisable: ${getErrorMessage(error)}`, {
      field: `metadatas[${index}]`,
    });
  }
}
