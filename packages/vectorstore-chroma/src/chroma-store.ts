import {
  AbortError,
  type AddDocumentsInput,
  assertDimensions,
  type CollectionInfo,
  ConfigError,
  DeepRecallError,
  type Embedding,
  type EmbeddingFunction,
  getErrorMessage,
  isAbortError,
  type ListOptions,
  type ListPage,
  type Metadata,
  raceAbort,
  type SearchOptions,
  type SearchResult,
  toEmbeddingFunction,
  type VectorStore,
  type VectorStoreCollections,
  VectorStoreError,
  validateAddDocumentsInput,
} from "@deeprecall/core";
import {
  ChromaClient,
  type EmbeddingFunction as ChromaEmbeddingFunction,
  type Metadata as ChromaMetadata,
  type Collection,
  type Where,
} from "chromadb";
import { chromaCollectionNameProblem } from "./collection-name.ts";
import { chromaDefaultEmbedding } from "./default-embedding.ts";
import { type TranslatedFilter, translateFilter } from "./filter.ts";
import { type ChromaSpace, chromaDistance, distanceToScore } from "./scores.ts";
import { type ParsedChromaUrl, parseChromaUrl } from "./url.ts";

export interface ChromaStoreOptions {
  /** Chroma server URL. Default `http://localhost:8000`. `user:password@` becomes Basic auth. */
  url?: string;
  /** Collection name; created on first use if it does not exist. */
  collection: string;
  /**
   * How texts become vectors: an AI SDK `EmbeddingModel` or `(texts) => Promise<number[][]>`.
   * Omitted: Chroma's default embedding function (all-MiniLM-L6-v2), which needs the optional
   * package `@chroma-core/default-embed`.
   */
  embedding?: Embedding;
  /** Distance space for a collection this store creates (an existing one keeps its own). Default "cosine". */
  space?: ChromaSpace;
  /** Extra HTTP headers for every request, e.g. `{ "x-chroma-token": "..." }`. Never echoed in errors. */
  headers?: Record<string, string>;
  /** Chroma tenant and database. Default: the server's defaults (`default_tenant`, `default_database`). */
  tenant?: string;
  database?: string;
  /** Upper bound on records per write request; the server's own `max_batch_size` always applies too. */
  batchSize?: number;
  /** Texts per call to the embedding function. Default 512. */
  embeddingBatchSize?: number;
  /** Default number of results for `search`. Default 5. */
  defaultTopK?: number;
}

const DEFAULT_URL = "http://localhost:8000";

/** Options of `ChromaStore.collections`: those of a store, without the collection. */
export type ChromaCollectionsOptions = Omit<ChromaStoreOptions, "collection">;
/** Soft cap on one write request's JSON body, well under typical proxy and server limits. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/**
 * The most records a filtered search fetches to rank them exactly when Chroma's index came back
 * short (see `search`): at 1536 dimensions about 4 MB of JSON.
 */
const EXACT_FILTER_LIMIT = 256;

/** The message of the `AbortError` an aborted search rejects with. */
const ABORTED = "ChromaStore search was aborted";

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(ABORTED, { cause: signal.reason });
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/**
 * Checks one metadata object fits Chroma's model and returns it in Chroma's form: scalars and
 * non-empty single-typed arrays pass; null values and empty arrays are dropped (Chroma stores
 * neither, and for our filter semantics a missing key behaves the same); anything else is a
 * `ConfigError` raised before any write.
 */
function toChromaMetadata(
  meta: Metadata | undefined,
  index: number,
): Record<string, string | number | boolean | string[] | number[] | boolean[]> {
  const out: Record<string, string | number | boolean | string[] | number[] | boolean[]> = {};
  if (!meta) return out;
  for (const [key, value] of Object.entries(meta)) {
    if (value === null || value === undefined) continue;
    if (isScalar(value)) {
      out[key] = value;
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      const type = typeof value[0];
      if (!value.every((item) => isScalar(item) && typeof item === type)) {
        throw new ConfigError(
          `metadatas[${index}].${key}: Chroma stores arrays of one scalar type only (all strings, all numbers or all booleans)`,
          { field: `metadatas[${index}].${key}` },
        );
      }
      out[key] = value as string[] | number[] | boolean[];
      continue;
    }
    throw new ConfigError(
      `metadatas[${index}].${key} must be a string, finite number, boolean, null or an array of one scalar type`,
      { field: `metadatas[${index}].${key}` },
    );
  }
  return out;
}

const DIMENSION_RE = /expecting embedding with dimension of (\d+), got (\d+)/i;

/**
 * A DeepRecall `VectorStore` backed by a Chroma server, through the official `chromadb` client.
 *
 * Vectors are computed on this side (configured embedding, or Chroma's default embedding function)
 * and Chroma's distances are turned into scores in [0, 1], see `distanceToScore`.
 */
export class ChromaStore implements VectorStore {
  readonly name: string;
  /** The server URL without credentials. */
  readonly url: string;
  readonly collectionName: string;

  readonly #client: ChromaClient;
  readonly #server: ParsedChromaUrl;
  readonly #headers: Record<string, string>;
  readonly #embed: EmbeddingFunction;
  readonly #space: ChromaSpace;
  readonly #batchSize: number;
  readonly #embeddingBatchSize: number;
  readonly #defaultTopK: number;
  readonly #tenant: string | undefined;
  readonly #database: string | undefined;
  #collection: Promise<Collection> | undefined;
  #dimension: number | undefined;
  #dimensionKnown = false;
  #arrayMembership = true;
  #closed = false;

  constructor(options: ChromaStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigError("ChromaStore expects an options object { url?, collection, embedding? }", {
        field: "options",
      });
    }
    const { collection } = options;
    if (typeof collection !== "string" || collection.trim() === "") {
      throw new ConfigError("ChromaStore needs a non-empty `collection` name", { field: "collection" });
    }
    const nameProblem = chromaCollectionNameProblem(collection);
    if (nameProblem) {
      throw new ConfigError(`Invalid collection name ${JSON.stringify(collection)}: ${nameProblem}`, {
        field: "collection",
      });
    }
    if (options.space !== undefined && !["cosine", "l2", "ip"].includes(options.space)) {
      throw new ConfigError(
        `ChromaStore space must be "cosine", "l2" or "ip", got ${String(options.space)}`,
        {
          field: "space",
        },
      );
    }
    for (const [field, value] of [
      ["batchSize", options.batchSize],
      ["embeddingBatchSize", options.embeddingBatchSize],
      ["defaultTopK", options.defaultTopK],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new ConfigError(`ChromaStore ${field} must be a positive integer`, { field });
      }
    }
    if (
      options.embedding !== undefined &&
      typeof options.embedding !== "function" &&
      typeof options.embedding !== "object"
    ) {
      throw new ConfigError("ChromaStore embedding must be an AI SDK EmbeddingModel or a function", {
        field: "embedding",
      });
    }
    this.#server = parseChromaUrl(options.url ?? DEFAULT_URL);
    this.url = this.#server.safeUrl;
    this.collectionName = collection;
    this.name = `chroma:${collection}`;
    this.#headers = { ...(options.headers ?? {}) };
    if (
      this.#server.authorization &&
      !Object.keys(this.#headers).some((h) => h.toLowerCase() === "authorization")
    ) {
      this.#headers.Authorization = this.#server.authorization;
    }
    this.#embed = options.embedding ? toEmbeddingFunction(options.embedding) : chromaDefaultEmbedding();
    this.#space = options.space ?? "cosine";
    this.#batchSize = options.batchSize ?? Number.POSITIVE_INFINITY;
    this.#embeddingBatchSize = options.embeddingBatchSize ?? 512;
    this.#defaultTopK = options.defaultTopK ?? 5;
    this.#tenant = options.tenant;
    this.#database = options.database;
    this.#client = new ChromaClient({
      host: this.#server.host,
      port: this.#server.port,
      ssl: this.#server.ssl,
      headers: this.#headers,
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.database ? { database: options.database } : {}),
    });
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Every collection of one Chroma server (tenant and database): `listCollections()` with
   * counts, and `open(name)` for the store of one (created on its first write; the same
   * instance until it is closed).
   */
  static collections(options: ChromaCollectionsOptions = {}): VectorStoreCollections {
    // A store for no collection in particular: it holds the client, the headers and the error mapping.
    const server = new ChromaStore({ ...options, collection: "collections-listing" });
    const open = new Map<string, ChromaStore>();
    return {
      kind: "chroma",
      listCollections: (listOptions) => server.#listCollections(listOptions?.signal),
      open: (name: string) => {
        let store = open.get(name);
        if (!store || store.closed) {
          store = new ChromaStore({ ...options, collection: name });
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

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    this.#assertOpen();
    const ids = validateAddDocumentsInput(input);
    const { documents } = input;
    const metadatas = documents.map((_, i) => toChromaMetadata(input.metadatas?.[i], i));

    let vectors: number[][];
    if (input.embeddings) {
      vectors = input.embeddings;
    } else {
      vectors = [];
      for (let start = 0; start < documents.length; start += this.#embeddingBatchSize) {
        vectors.push(...(await this.#embed(documents.slice(start, start + this.#embeddingBatchSize))));
      }
    }
    assertDimensions(vectors, vectors[0]?.length ?? 0);
    const collection = await this.#getCollection();
    await this.#checkDimension(collection, vectors[0]?.length ?? 0, "document embeddings");

    const maxBatch = Math.min(this.#batchSize, await this.#serverMaxBatch());
    const written: string[] = [];
    for (const [start, end] of this.#batches(documents, vectors, metadatas, maxBatch)) {
      try {
        await this.#upsert(collection, {
          ids: ids.slice(start, end),
          documents: documents.slice(start, end),
          embeddings: vectors.slice(start, end),
          metadatas: metadatas.slice(start, end),
        });
      } catch (error) {
        this.#fail("add documents", error, written);
      }
      written.push(...ids.slice(start, end));
      if (!this.#dimensionKnown) {
        this.#dimension = vectors[0]?.length;
        this.#dimensionKnown = true;
      }
    }
    return ids;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    this.#assertOpen();
    if (typeof query !== "string" || query.trim() === "") {
      throw new ConfigError("search query must be a non-empty string", { field: "query" });
    }
    const topK = options.topK ?? this.#defaultTopK;
    if (!Number.isInteger(topK) || topK < 1) {
      throw new ConfigError(`topK must be a positive integer, got ${String(topK)}`, { field: "topK" });
    }
    const { signal } = options;
    let filter: TranslatedFilter =
      options.filters === undefined
        ? { kind: "all" }
        : translateFilter(options.filters, { arrayMembership: this.#arrayMembership });
    throwIfAborted(signal);
    if (filter.kind === "none") return [];

    const [queryVector] = await raceAbort(
      this.#embed([query], signal ? { signal } : undefined),
      signal,
      ABORTED,
    );
    if (!queryVector)
      throw new ConfigError("the embedding function returned no vector for the query", {
        field: "embedding",
      });
    assertDimensions([queryVector], queryVector.length, "query embedding");
    const collection = await raceAbort(this.#getCollection(), signal, ABORTED);
    await raceAbort(
      this.#checkDimension(collection, queryVector.length, "the query embedding"),
      signal,
      ABORTED,
    );

    const run = (where: TranslatedFilter) =>
      collection.query({
        queryEmbeddings: [queryVector],
        nResults: topK,
        include: ["documents", "metadatas", "distances"],
        ...(where.kind === "where" ? { where: where.where } : {}),
      });
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await raceAbort(run(filter), signal, ABORTED);
    } catch (error) {
      // Servers from before array metadata reject `$contains` in `where`: retry with plain equality.
      if (
        this.#arrayMembership &&
        filter.kind === "where" &&
        JSON.stringify(filter.where).includes('"$contains"') &&
        /where|operator|contains/i.test(getErrorMessage(error)) &&
        !isAbortError(error)
      ) {
        this.#arrayMembership = false;
        filter = translateFilter(options.filters, { arrayMembership: false });
        try {
          result = await raceAbort(run(filter), signal, ABORTED);
        } catch (retryError) {
          this.#fail("search", retryError);
        }
      } else {
        this.#fail("search", error);
      }
    }
    const space = this.#collectionSpace(collection);
    const ids = result.ids[0] ?? [];
    if (filter.kind === "where" && ids.length < topK) {
      // Chroma's HNSW search under a selective filter can miss records the filter matches (seen
      // in CI: none of 1200 records found when the filter matched exactly one). When it came
      // back short and the filter matches few records, rank all of those exactly instead.
      const exact = await this.#rankFiltered(collection, filter.where, queryVector, topK, space, signal);
      if (exact) return exact;
    }
    return ids.map((id, i) => ({
      id,
      content: result.documents[0]?.[i] ?? "",
      metadata: { ...(result.metadatas[0]?.[i] ?? {}) },
      score: distanceToScore(result.distances[0]?.[i], space),
    }));
  }

  /**
   * The top `topK` of the records `where` matches, ranked exactly by `space`'s distance to
   * `queryVector` (Chroma's distances: cosine 1 - cos, ip 1 - a·b, l2 squared Euclidean), or
   * undefined when the filter matches more than {@link EXACT_FILTER_LIMIT} records (too many to
   * fetch for one search: the index's answer stands).
   */
  async #rankFiltered(
    collection: Collection,
    where: Where,
    queryVector: number[],
    topK: number,
    space: ChromaSpace,
    signal: AbortSignal | undefined,
  ): Promise<SearchResult[] | undefined> {
    let got: Awaited<ReturnType<Collection["get"]>>;
    try {
      got = await raceAbort(
        collection.get({
          where,
          limit: EXACT_FILTER_LIMIT + 1,
          include: ["embeddings", "documents", "metadatas"],
        }),
        signal,
        ABORTED,
      );
    } catch (error) {
      this.#fail("search", error);
    }
    if (got.ids.length > EXACT_FILTER_LIMIT) return undefined;
    return got.ids
      .map((id, i) => ({ i, id, distance: chromaDistance(space, queryVector, got.embeddings[i] ?? []) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, topK)
      .map(({ i, id, distance }) => ({
        id,
        content: got.documents[i] ?? "",
        metadata: { ...(got.metadatas[i] ?? {}) },
        score: distanceToScore(distance, space),
      }));
  }

  async delete(ids: string[]): Promise<void> {
    this.#assertOpen();
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && id !== "")) {
      throw new ConfigError("delete expects an array of non-empty id strings", { field: "ids" });
    }
    if (ids.length === 0) return;
    const collection = await this.#getCollection();
    const maxBatch = Math.min(this.#batchSize, await this.#serverMaxBatch());
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += maxBatch) {
      try {
        await collection.delete({ ids: unique.slice(start, start + maxBatch) });
      } catch (error) {
        this.#fail("delete", error);
      }
    }
  }

  async count(): Promise<number> {
    this.#assertOpen();
    const collection = await this.#getCollection();
    try {
      return await collection.count();
    } catch (error) {
      this.#fail("count", error);
    }
  }

  /**
   * Pages through the collection in Chroma's own order (insertion order); the cursor is the
   * offset of the next page.
   */
  async list(options: ListOptions = {}): Promise<ListPage> {
    this.#assertOpen();
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ConfigError(`limit must be an integer from 1 to 1000, got ${String(limit)}`, {
        field: "limit",
      });
    }
    let offset = 0;
    if (options.cursor !== undefined) {
      if (typeof options.cursor !== "string" || !/^\d{1,15}$/.test(options.cursor)) {
        throw new ConfigError("cursor is not one this store returned (use nextCursor of the previous page)", {
          field: "cursor",
        });
      }
      offset = Number(options.cursor);
    }
    throwIfAborted(options.signal);
    const collection = await this.#getCollection();
    let result: Awaited<ReturnType<Collection["get"]>>;
    try {
      // One more than asked for, to know whether another page follows.
      result = await raceAbort(
        collection.get({ limit: limit + 1, offset, include: ["documents", "metadatas"] }),
        options.signal,
        "ChromaStore list was aborted",
      );
    } catch (error) {
      this.#fail("list", error);
    }
    const documents = result.ids.slice(0, limit).map((id, i) => ({
      id,
      content: result.documents[i] ?? "",
      metadata: { ...(result.metadatas[i] ?? {}) },
    }));
    return { documents, nextCursor: result.ids.length > limit ? String(offset + limit) : null };
  }

  /** The store holds no sockets of its own; after `close()` every call fails clearly. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new VectorStoreError(`ChromaStore ${this.name} is closed`, { store: this.#storeLabel() });
  }

  #storeLabel(): string {
    return `chroma (${this.url})`;
  }

  /** Get-or-create, memoised; a failure is not memoised so the next call retries. */
  #getCollection(): Promise<Collection> {
    this.#collection ??= this.#openCollection().catch((error: unknown) => {
      this.#collection = undefined;
      throw error;
    });
    return this.#collection;
  }

  async #openCollection(): Promise<Collection> {
    // Handing the client an embedding function of its own stops it from auto-loading the
    // default one (and warning) when it opens the collection; we always send vectors ourselves.
    const embeddingFunction: ChromaEmbeddingFunction = {
      generate: (texts: string[]) => this.#embed(texts),
    };
    try {
      return await this.#client.getCollection({ name: this.collectionName, embeddingFunction });
    } catch (error) {
      if (errorName(error) !== "ChromaNotFoundError") this.#fail("open collection", error);
    }
    try {
      return await this.#client.createCollection({
        name: this.collectionName,
        embeddingFunction,
        configuration: { hnsw: { space: this.#space } },
      });
    } catch (error) {
      // Someone else created it between our two calls.
      if (errorName(error) === "ChromaUniqueError") {
        try {
          return await this.#client.getCollection({ name: this.collectionName, embeddingFunction });
        } catch (again) {
          this.#fail("open collection", again);
        }
      }
      this.#fail("create collection", error);
    }
  }

  #collectionSpace(collection: Collection): ChromaSpace {
    const config = collection.configuration as {
      hnsw?: { space?: string } | null;
      spann?: { space?: string } | null;
    };
    const space = config?.hnsw?.space ?? config?.spann?.space ?? collection.metadata?.["hnsw:space"];
    return space === "cosine" || space === "ip" || space === "l2" ? space : "l2";
  }

  async #serverMaxBatch(): Promise<number> {
    try {
      const max = await this.#client.getMaxBatchSize();
      return max > 0 ? max : 1000;
    } catch (error) {
      this.#fail("read server limits", error);
    }
  }

  /** Learns the collection's vector dimension (from one stored record) and checks `dimension` against it. */
  async #checkDimension(collection: Collection, dimension: number, what: string): Promise<void> {
    if (!this.#dimensionKnown) {
      try {
        const peek = await collection.get({ limit: 1, include: ["embeddings"] });
        const stored = peek.embeddings[0];
        if (stored) {
          this.#dimension = stored.length;
          this.#dimensionKnown = true;
        }
      } catch (error) {
        this.#fail("read collection", error);
      }
    }
    if (this.#dimension !== undefined && this.#dimension !== dimension) {
      throw this.#dimensionError(this.#dimension, dimension, what);
    }
  }

  #dimensionError(expected: number, got: number, what: string): ConfigError {
    return new ConfigError(
      `Embedding dimension mismatch: Chroma collection "${this.collectionName}" at ${this.url} holds ${expected}-dimensional vectors but ${what} have ${got} dimensions. Use the embedding model the collection was built with, or a new collection.`,
      { field: "embedding" },
    );
  }

  /** Splits [0, n) into request-sized ranges: at most `maxBatch` records and about MAX_REQUEST_BYTES each. */
  *#batches(
    documents: string[],
    vectors: number[][],
    metadatas: Record<string, unknown>[],
    maxBatch: number,
  ): Generator<[number, number]> {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < documents.length; i++) {
      const size =
        Buffer.byteLength(documents[i] ?? "") +
        (vectors[i]?.length ?? 0) * 22 +
        JSON.stringify(metadatas[i]).length +
        64;
      if (i > start && (i - start >= maxBatch || bytes + size > MAX_REQUEST_BYTES)) {
        yield [start, i];
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (start < documents.length) yield [start, documents.length];
  }

  /** Every collection of the server's tenant and database, sorted by name, with its count (REST, paged). */
  async #listCollections(signal?: AbortSignal): Promise<CollectionInfo[]> {
    const base = `/api/v2/tenants/${encodeURIComponent(this.#tenant ?? "default_tenant")}/databases/${encodeURIComponent(this.#database ?? "default_database")}/collections`;
    const out: CollectionInfo[] = [];
    try {
      const page = 100;
      for (let offset = 0; ; offset += page) {
        const batch = (await this.#rest(
          "GET",
          `${base}?limit=${page}&offset=${offset}`,
          undefined,
          signal,
        )) as Array<{ id: string; name: string }> | undefined;
        for (const { id, name } of batch ?? []) {
          const count = await this.#rest("GET", `${base}/${encodeURIComponent(id)}/count`, undefined, signal);
          out.push({ name, count: typeof count === "number" ? count : 0 });
        }
        if (!batch || batch.length < page) break;
      }
    } catch (error) {
      this.#fail("list collections", error);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One request to Chroma's REST API; errors carry the names the chromadb client uses (for `#fail`). */
  async #rest(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const base = `${this.#server.ssl ? "https" : "http"}://${this.#server.host.includes(":") ? `[${this.#server.host}]` : this.#server.host}:${this.#server.port}`;
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { ...this.#headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      if (isAbortError(cause)) throw cause;
      const error = new Error(`fetch failed: ${getErrorMessage(cause)}`);
      error.name = "ChromaConnectionError";
      throw error;
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const json = (await response.json()) as { message?: string; error?: string };
        message = json.message ?? json.error ?? message;
      } catch {
        // keep the status line
      }
      const error = new Error(message);
      error.name =
        response.status === 401
          ? "ChromaAuthError"
          : response.status === 403
            ? "ChromaForbiddenError"
            : response.status >= 500
              ? "ChromaServerError"
              : "ChromaClientError";
      throw error;
    }
    const text = await response.text();
    return text === "" ? undefined : JSON.parse(text);
  }

  /**
   * Upsert with replace semantics. Chroma's upsert merges metadata into an existing record's, so
   * keys the new metadata no longer has are sent as null (which Chroma treats as "remove"). The
   * chromadb client strips null metadata values, so this one request goes over the REST API directly.
   */
  async #upsert(
    collection: Collection,
    batch: {
      ids: string[];
      documents: string[];
      embeddings: number[][];
      metadatas: Record<string, unknown>[];
    },
  ): Promise<void> {
    const existing = await collection.get({ ids: batch.ids, include: ["metadatas"] });
    const previous = new Map<string, ChromaMetadata | null>();
    existing.ids.forEach((id, i) => {
      previous.set(id, existing.metadatas[i] ?? null);
    });
    const metadatas = batch.ids.map((id, i) => {
      const next: Record<string, unknown> = { ...batch.metadatas[i] };
      for (const key of Object.keys(previous.get(id) ?? {})) {
        if (!(key in next)) next[key] = null;
      }
      return Object.keys(next).length === 0 ? null : next;
    });
    const path = `/api/v2/tenants/${encodeURIComponent(collection.tenant)}/databases/${encodeURIComponent(collection.database)}/collections/${encodeURIComponent(collection.id)}/upsert`;
    await this.#rest("POST", path, {
      ids: batch.ids,
      documents: batch.documents,
      embeddings: batch.embeddings,
      metadatas,
    });
  }

  #redact(text: string): string {
    let out = text;
    for (const value of Object.values(this.#headers)) {
      if (value && value.length >= 4) out = out.split(value).join("***");
    }
    return out;
  }

  /** Maps any failure to our error types; credentials never appear in the message. */
  #fail(operation: string, error: unknown, writtenIds?: string[]): never {
    if (DeepRecallError.isInstance(error)) throw error;
    if (isAbortError(error)) throw new AbortError(`ChromaStore ${operation} was aborted`, { cause: error });
    const message = this.#redact(getErrorMessage(error));
    const dimension = DIMENSION_RE.exec(message);
    if (dimension) {
      throw this.#dimensionError(Number(dimension[1]), Number(dimension[2]), "the given embeddings");
    }
    const written = writtenIds && writtenIds.length > 0 ? { writtenIds: [...writtenIds] } : {};
    const partial =
      writtenIds && writtenIds.length > 0
        ? ` (${writtenIds.length} records were written before the failure)`
        : "";
    switch (errorName(error)) {
      case "ChromaConnectionError":
        throw new VectorStoreError(
          `Cannot reach the Chroma server at ${this.url} (${operation}): is it running? Start one with \`chroma run\` or set the URL.${partial}`,
          { store: this.#storeLabel(), retryable: true, ...written },
        );
      case "ChromaAuthError":
      case "ChromaForbiddenError":
        throw new VectorStoreError(
          `The Chroma server at ${this.url} refused ${operation}: check the credentials/headers.${partial}`,
          { store: this.#storeLabel(), ...written },
        );
      case "ChromaServerError":
      case "ChromaRateLimitError":
        throw new VectorStoreError(`Chroma ${operation} failed at ${this.url}: ${message}${partial}`, {
          store: this.#storeLabel(),
          retryable: true,
          ...written,
        });
      default:
        throw new VectorStoreError(`Chroma ${operation} failed at ${this.url}: ${message}${partial}`, {
          store: this.#storeLabel(),
          ...written,
        });
    }
  }
}
