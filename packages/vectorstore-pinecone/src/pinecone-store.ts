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
import { type Index, Pinecone, type PineconeRecord, type RecordMetadata } from "@pinecone-database/pinecone";
import { type TranslatedPineconeFilter, translatePineconeFilter } from "./filter.ts";
import { type PineconeMetric, pineconeScore } from "./scores.ts";

export interface PineconeStoreOptions {
  /** Pinecone API key. Default: the `PINECONE_API_KEY` environment variable. Never echoed in errors. */
  apiKey?: string;
  /** Index name (must exist; this store does not create indexes). */
  index: string;
  /** Namespace inside the index. Default: Pinecone's default namespace. */
  namespace?: string;
  /**
   * How texts become vectors, for indexes without integrated embedding: an AI SDK
   * `EmbeddingModel` or `(texts) => Promise<number[][]>`. Indexes with integrated embedding
   * embed server-side and ignore it.
   */
  embedding?: Embedding;
  /** Metadata field holding the document text (vector indexes). Default "text". Integrated indexes use their field map. */
  textKey?: string;
  /** Data-plane host of the index, instead of the one Pinecone reports (the index is still described once). */
  indexHost?: string;
  /** Control-plane URL. Default `https://api.pinecone.io` (or `PINECONE_CONTROLLER_HOST`). */
  controllerHostUrl?: string;
  /** Upper bound on records per write request (Pinecone's own limits always apply too). */
  batchSize?: number;
  /** Texts per call to the embedding function. Default 512. */
  embeddingBatchSize?: number;
  /** Default number of results for `search`. Default 5. */
  defaultTopK?: number;
}

/** Options of `PineconeStore.collections`: those of a store, without the namespace. */
export type PineconeCollectionsOptions = Omit<PineconeStoreOptions, "namespace">;

/** The name `collections()` gives Pinecone's default namespace (Pinecone's own name for it). */
export const DEFAULT_NAMESPACE = "__default__";

/** Pinecone's documented request limits. */
const LIMITS = {
  upsertRecords: 1000,
  upsertBytes: 2 * 1024 * 1024,
  upsertTextRecords: 96,
  deleteIds: 1000,
  metadataBytes: 40 * 1024,
  topK: 10_000,
  topKWithMetadata: 1000,
  listIds: 100,
  fetchIds: 1000,
} as const;
/** Bytes kept free in every write request for the JSON envelope. */
const ENVELOPE_BYTES = 4 * 1024;

interface IndexInfo {
  index: Index<RecordMetadata>;
  host: string;
  metric: PineconeMetric;
  dimension: number | undefined;
  /** Set for indexes with integrated embedding: the field Pinecone embeds. */
  integratedTextField: string | undefined;
}

/** The message of the `AbortError` an aborted search rejects with. */
const ABORTED = "PineconeStore search was aborted";

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(ABORTED, { cause: signal.reason });
}

function readSafely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Checks one metadata object fits Pinecone's model (strings, finite numbers, booleans, lists of
 * strings) and returns it without null values and empty lists, which Pinecone does not store.
 */
function toPineconeMetadata(meta: Metadata | undefined, index: number, textKey: string): RecordMetadata {
  const out: RecordMetadata = {};
  if (!meta) return out;
  for (const [key, value] of Object.entries(meta)) {
    if (key === textKey) {
      throw new ConfigError(
        `metadatas[${index}] uses the key "${textKey}", which holds the document text in Pinecone; rename it or set a different textKey`,
        { field: `metadatas[${index}].${key}` },
      );
    }
    if (value === null || value === undefined) continue;
    if (
      typeof value === "string" ||
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      out[key] = value;
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      if (value.every((item) => typeof item === "string")) {
        out[key] = value as string[];
        continue;
      }
      throw new ConfigError(`metadatas[${index}].${key}: Pinecone stores lists of strings only`, {
        field: `metadatas[${index}].${key}`,
      });
    }
    throw new ConfigError(
      `metadatas[${index}].${key} must be a string, finite number, boolean, null or a list of strings`,
      {
        field: `metadatas[${index}].${key}`,
      },
    );
  }
  return out;
}

/**
 * A DeepRecall `VectorStore` on a Pinecone index, through the official `@pinecone-database/pinecone`
 * client. Document text lives in metadata (`textKey`). Indexes with integrated embedding (Pinecone
 * inference) get text records and embed server-side; other indexes get vectors from `embedding`.
 *
 * Pinecone is eventually consistent: a write may take a moment to show in `search` and `count`.
 */
export class PineconeStore implements VectorStore {
  readonly name: string;
  readonly indexName: string;
  readonly namespace: string | undefined;

  readonly #apiKey: string;
  readonly #client: Pinecone;
  readonly #embed: EmbeddingFunction | undefined;
  readonly #textKey: string;
  readonly #indexHost: string | undefined;
  readonly #batchSize: number;
  readonly #embeddingBatchSize: number;
  readonly #defaultTopK: number;
  #info: Promise<IndexInfo> | undefined;
  #closed = false;

  constructor(options: PineconeStoreOptions) {
    if (typeof options !== "object" || options === null) {
      throw new ConfigError(
        "PineconeStore expects an options object { apiKey?, index, namespace?, embedding? }",
        {
          field: "options",
        },
      );
    }
    if (typeof options.index !== "string" || options.index.trim() === "") {
      throw new ConfigError("PineconeStore needs a non-empty `index` name", { field: "index" });
    }
    if (options.namespace !== undefined && typeof options.namespace !== "string") {
      throw new ConfigError("PineconeStore namespace must be a string", { field: "namespace" });
    }
    const apiKey = options.apiKey ?? process.env.PINECONE_API_KEY;
    if (!apiKey) {
      throw new ConfigError("PineconeStore needs an API key: pass `apiKey` or set PINECONE_API_KEY", {
        field: "apiKey",
      });
    }
    for (const [field, value] of [
      ["batchSize", options.batchSize],
      ["embeddingBatchSize", options.embeddingBatchSize],
      ["defaultTopK", options.defaultTopK],
    ] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new ConfigError(`PineconeStore ${field} must be a positive integer`, { field });
      }
    }
    if (options.textKey !== undefined && (typeof options.textKey !== "string" || options.textKey === "")) {
      throw new ConfigError("PineconeStore textKey must be a non-empty string", { field: "textKey" });
    }
    this.#apiKey = apiKey;
    this.indexName = options.index;
    this.namespace = options.namespace || undefined;
    this.name = this.namespace ? `pinecone:${options.index}/${this.namespace}` : `pinecone:${options.index}`;
    this.#embed = options.embedding ? toEmbeddingFunction(options.embedding) : undefined;
    this.#textKey = options.textKey ?? "text";
    this.#indexHost = options.indexHost;
    this.#batchSize = options.batchSize ?? Number.POSITIVE_INFINITY;
    this.#embeddingBatchSize = options.embeddingBatchSize ?? 512;
    this.#defaultTopK = options.defaultTopK ?? 5;
    try {
      this.#client = new Pinecone({
        apiKey,
        ...(options.controllerHostUrl ? { controllerHostUrl: options.controllerHostUrl } : {}),
        sourceTag: "deeprecall",
      });
    } catch (error) {
      throw new ConfigError(
        `PineconeStore configuration is invalid: ${this.#redact(getErrorMessage(error))}`,
        {
          field: "options",
        },
      );
    }
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The namespaces of one index as collections: `listCollections()` with record counts (from
   * `describeIndexStats`, eventually consistent; the default namespace is named "__default__"),
   * and `open(name)` for the store of one (the same instance until it is closed).
   */
  static collections(options: PineconeCollectionsOptions): VectorStoreCollections {
    const index = new PineconeStore(options);
    const open = new Map<string, PineconeStore>();
    return {
      kind: "pinecone",
      listCollections: () => index.#listNamespaces(),
      open: (name: string) => {
        let store = open.get(name);
        if (!store || store.closed) {
          if (typeof name !== "string" || name === "") {
            throw new ConfigError("a Pinecone namespace name must be a non-empty string", {
              field: "namespace",
            });
          }
          store = new PineconeStore({
            ...options,
            ...(name === DEFAULT_NAMESPACE ? {} : { namespace: name }),
          });
          open.set(name, store);
        }
        return store;
      },
      close: async () => {
        const stores = [...open.values()];
        open.clear();
        await Promise.all([index.close(), ...stores.map((store) => store.close())]);
      },
    };
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    this.#assertOpen();
    const ids = validateAddDocumentsInput(input);
    const info = await this.#getInfo();
    const { documents } = input;
    const textKey = info.integratedTextField ?? this.#textKey;
    const metadatas = documents.map((_, i) => toPineconeMetadata(input.metadatas?.[i], i, textKey));
    // Integrated indexes embed text server-side; vectors the caller already has (from the same
    // model) go in as plain vectors, with the text in the field the index embeds.
    return info.integratedTextField === undefined || input.embeddings
      ? this.#addVectors(info, ids, documents, metadatas, input.embeddings, textKey)
      : this.#addTextRecords(info, ids, documents, metadatas);
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
    if (topK > LIMITS.topKWithMetadata) {
      throw new ConfigError(
        `topK must be at most ${LIMITS.topKWithMetadata} for Pinecone queries that return text`,
        {
          field: "topK",
        },
      );
    }
    const filter: TranslatedPineconeFilter =
      options.filters === undefined ? { kind: "all" } : translatePineconeFilter(options.filters);
    const { signal } = options;
    throwIfAborted(signal);
    if (filter.kind === "none") return [];
    const info = await raceAbort(this.#getInfo(), signal, ABORTED);
    const pineconeFilter = filter.kind === "filter" ? { filter: filter.filter } : {};

    if (info.integratedTextField !== undefined) {
      const textField = info.integratedTextField;
      let response: Awaited<ReturnType<Index["searchRecords"]>>;
      try {
        response = await raceAbort(
          info.index.searchRecords({ query: { topK, inputs: { text: query }, ...pineconeFilter } }),
          signal,
          ABORTED,
        );
      } catch (error) {
        this.#fail("search", error);
      }
      return response.result.hits.map((hit) => {
        const { [textField]: text, ...metadata } = (hit.fields ?? {}) as Record<string, unknown>;
        return {
          id: hit._id,
          content: typeof text === "string" ? text : "",
          metadata,
          score: pineconeScore(hit._score, info.metric),
        };
      });
    }

    const embed = this.#requireEmbedding("search");
    const [vector] = await raceAbort(embed([query], signal ? { signal } : undefined), signal, ABORTED);
    if (!vector)
      throw new ConfigError("the embedding function returned no vector for the query", {
        field: "embedding",
      });
    this.#checkDimensions(info, [vector], "the query embedding");
    let response: Awaited<ReturnType<Index["query"]>>;
    try {
      response = await raceAbort(
        info.index.query({ vector, topK, includeMetadata: true, ...pineconeFilter }),
        signal,
        ABORTED,
      );
    } catch (error) {
      this.#fail("search", error);
    }
    return response.matches.map((match) => {
      const { [this.#textKey]: text, ...metadata } = (match.metadata ?? {}) as Record<string, unknown>;
      return {
        id: match.id,
        content: typeof text === "string" ? text : "",
        metadata,
        score: pineconeScore(match.score, info.metric),
      };
    });
  }

  async delete(ids: string[]): Promise<void> {
    this.#assertOpen();
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && id !== "")) {
      throw new ConfigError("delete expects an array of non-empty id strings", { field: "ids" });
    }
    if (ids.length === 0) return;
    const info = await this.#getInfo();
    const unique = [...new Set(ids)];
    const size = Math.min(LIMITS.deleteIds, this.#batchSize);
    for (let start = 0; start < unique.length; start += size) {
      try {
        await info.index.deleteMany({ ids: unique.slice(start, start + size) });
      } catch (error) {
        this.#fail("delete", error);
      }
    }
  }

  /**
   * Pages through the namespace in id order (Pinecone's list operation, then a fetch of the
   * records); the cursor is Pinecone's pagination token. Serverless indexes only.
   */
  async list(options: ListOptions = {}): Promise<ListPage> {
    this.#assertOpen();
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ConfigError(`limit must be an integer from 1 to 1000, got ${String(limit)}`, {
        field: "limit",
      });
    }
    if (
      options.cursor !== undefined &&
      (typeof options.cursor !== "string" || !/^[A-Za-z0-9+/=_-]+$/.test(options.cursor))
    ) {
      throw new ConfigError("cursor is not one this store returned (use nextCursor of the previous page)", {
        field: "cursor",
      });
    }
    const { signal } = options;
    throwIfAborted(signal);
    const info = await raceAbort(this.#getInfo(), signal, ABORTED);
    const ids: string[] = [];
    let token = options.cursor;
    try {
      do {
        const page = await raceAbort(
          info.index.listPaginated({
            limit: Math.min(LIMITS.listIds, limit - ids.length),
            ...(token ? { paginationToken: token } : {}),
          }),
          signal,
          ABORTED,
        );
        for (const item of page.vectors ?? []) if (item.id) ids.push(item.id);
        token = page.pagination?.next || undefined;
      } while (token && ids.length < limit);
    } catch (error) {
      this.#fail("list", error);
    }
    const textKey = info.integratedTextField ?? this.#textKey;
    const records = new Map<string, RecordMetadata | undefined>();
    for (let start = 0; start < ids.length; start += LIMITS.fetchIds) {
      try {
        const fetched = await raceAbort(
          info.index.fetch({ ids: ids.slice(start, start + LIMITS.fetchIds) }),
          signal,
          ABORTED,
        );
        for (const [id, record] of Object.entries(fetched.records ?? {})) records.set(id, record.metadata);
      } catch (error) {
        this.#fail("list", error);
      }
    }
    // A record deleted between the list and the fetch is left out.
    const documents = ids
      .filter((id) => records.has(id))
      .map((id) => {
        const { [textKey]: text, ...metadata } = (records.get(id) ?? {}) as Record<string, unknown>;
        return { id, content: typeof text === "string" ? text : "", metadata };
      });
    return { documents, nextCursor: token ?? null };
  }

  /** Records in this store's namespace, from `describeIndexStats` (eventually consistent). */
  async count(): Promise<number> {
    this.#assertOpen();
    const info = await this.#getInfo();
    let stats: Awaited<ReturnType<Index["describeIndexStats"]>>;
    try {
      stats = await info.index.describeIndexStats();
    } catch (error) {
      this.#fail("count", error);
    }
    const namespaces = stats.namespaces ?? {};
    const keys = this.namespace ? [this.namespace] : ["__default__", ""];
    for (const key of keys) {
      const summary = namespaces[key];
      if (summary) return summary.recordCount ?? 0;
    }
    return 0;
  }

  /** The client holds no sockets of its own; after `close()` every call fails clearly. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  async #listNamespaces(): Promise<CollectionInfo[]> {
    this.#assertOpen();
    const info = await this.#getInfo();
    let stats: Awaited<ReturnType<Index["describeIndexStats"]>>;
    try {
      stats = await info.index.describeIndexStats();
    } catch (error) {
      this.#fail("list namespaces", error);
    }
    const counts = new Map<string, number>();
    for (const [key, summary] of Object.entries(stats.namespaces ?? {})) {
      const name = key === "" ? DEFAULT_NAMESPACE : key;
      counts.set(name, (counts.get(name) ?? 0) + (summary.recordCount ?? 0));
    }
    return [...counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async #addVectors(
    info: IndexInfo,
    ids: string[],
    documents: string[],
    metadatas: RecordMetadata[],
    given: number[][] | undefined,
    textKey: string,
  ): Promise<string[]> {
    let vectors: number[][];
    if (given) {
      vectors = given;
    } else {
      const embed = this.#requireEmbedding("addDocuments");
      vectors = [];
      for (let start = 0; start < documents.length; start += this.#embeddingBatchSize) {
        vectors.push(...(await embed(documents.slice(start, start + this.#embeddingBatchSize))));
      }
    }
    this.#checkDimensions(info, vectors, given ? "the given embeddings" : "the document embeddings");
    const records: PineconeRecord<RecordMetadata>[] = ids.map((id, i) => ({
      id,
      values: vectors[i] as number[],
      metadata: { ...metadatas[i], [textKey]: documents[i] as string },
    }));
    const sizes = records.map((record, i) => {
      const metadataBytes = Buffer.byteLength(JSON.stringify(record.metadata));
      if (metadataBytes > LIMITS.metadataBytes) {
        throw new ConfigError(
          `documents[${i}] with its metadata is ${metadataBytes} bytes; Pinecone allows ${LIMITS.metadataBytes} bytes of metadata (which holds the text) per record. Split the document into smaller chunks.`,
          { field: `documents[${i}]` },
        );
      }
      return Buffer.byteLength(JSON.stringify(record)) + 1;
    });
    const maxRecords = Math.min(LIMITS.upsertRecords, this.#batchSize);
    return this.#writeInBatches(ids, sizes, maxRecords, (start, end) =>
      info.index.upsert({ records: records.slice(start, end) }),
    );
  }

  async #addTextRecords(
    info: IndexInfo,
    ids: string[],
    documents: string[],
    metadatas: RecordMetadata[],
  ): Promise<string[]> {
    const textField = info.integratedTextField as string;
    const records = ids.map((id, i) => ({ _id: id, ...metadatas[i], [textField]: documents[i] as string }));
    const sizes = records.map((record) => Buffer.byteLength(JSON.stringify(record)) + 1);
    const maxRecords = Math.min(LIMITS.upsertTextRecords, this.#batchSize);
    return this.#writeInBatches(ids, sizes, maxRecords, (start, end) =>
      info.index.upsertRecords({ records: records.slice(start, end) }),
    );
  }

  /** Writes [0, n) in request-sized slices: at most `maxRecords` records and Pinecone's 2 MB per request. */
  async #writeInBatches(
    ids: string[],
    sizes: number[],
    maxRecords: number,
    write: (start: number, end: number) => Promise<void>,
  ): Promise<string[]> {
    const budget = LIMITS.upsertBytes - ENVELOPE_BYTES;
    sizes.forEach((size, i) => {
      if (size > budget) {
        throw new ConfigError(
          `documents[${i}] is too large for one Pinecone request (${size} bytes; limit 2 MB)`,
          {
            field: `documents[${i}]`,
          },
        );
      }
    });
    const written: string[] = [];
    let start = 0;
    while (start < ids.length) {
      let end = start;
      let bytes = 0;
      while (end < ids.length && end - start < maxRecords && bytes + (sizes[end] ?? 0) <= budget) {
        bytes += sizes[end] ?? 0;
        end++;
      }
      try {
        await write(start, end);
      } catch (error) {
        this.#fail("add documents", error, written);
      }
      written.push(...ids.slice(start, end));
      start = end;
    }
    return ids;
  }

  #requireEmbedding(operation: string): EmbeddingFunction {
    if (!this.#embed) {
      throw new ConfigError(
        `PineconeStore ${operation}: index "${this.indexName}" has no integrated embedding, so the store needs \`embedding\` (an AI SDK EmbeddingModel or a function)`,
        { field: "embedding" },
      );
    }
    return this.#embed;
  }

  #checkDimensions(info: IndexInfo, vectors: number[][], what: string): void {
    const expected = info.dimension ?? vectors[0]?.length ?? 0;
    try {
      assertDimensions(vectors, expected);
    } catch (error) {
      if (
        info.dimension !== undefined &&
        vectors.some((v) => Array.isArray(v) && v.length !== info.dimension)
      ) {
        const got = vectors.find((v) => v.length !== info.dimension)?.length;
        throw new ConfigError(
          `Embedding dimension mismatch: Pinecone index "${this.indexName}" holds ${info.dimension}-dimensional vectors but ${what} have ${got} dimensions. Use the embedding model the index was built for.`,
          { field: "embedding", cause: error },
        );
      }
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new VectorStoreError(`PineconeStore ${this.name} is closed`, { store: "pinecone" });
  }

  /** Describes the index once (host, metric, dimension, integrated embedding); failures are retried next call. */
  #getInfo(): Promise<IndexInfo> {
    this.#info ??= this.#describe().catch((error: unknown) => {
      this.#info = undefined;
      throw error;
    });
    return this.#info;
  }

  async #describe(): Promise<IndexInfo> {
    let model: Awaited<ReturnType<Pinecone["describeIndex"]>>;
    try {
      model = await this.#client.describeIndex(this.indexName);
    } catch (error) {
      if (error instanceof Error && error.name === "PineconeNotFoundError") {
        throw new ConfigError(
          `Pinecone index "${this.indexName}" does not exist in this project; create it first (this store does not create indexes)`,
          { field: "index" },
        );
      }
      this.#fail("describe index", error);
    }
    const embed = readSafely(() => model.embed);
    const integratedTextField = embed?.fieldMap?.text;
    const rawMetric =
      (embed?.metric as string | undefined) ?? readSafely(() => model.metric as string | undefined);
    const metric: PineconeMetric =
      rawMetric === "euclidean" || rawMetric === "dotproduct" || rawMetric === "cosine"
        ? rawMetric
        : "cosine";
    const dimension = readSafely(() => model.dimension) ?? embed?.dimension ?? undefined;
    const host = this.#indexHost ?? model.host;
    const index = this.#client.index({
      name: this.indexName,
      host,
      ...(this.namespace ? { namespace: this.namespace } : {}),
    });
    return {
      index,
      host,
      metric,
      dimension: typeof dimension === "number" ? dimension : undefined,
      integratedTextField: typeof integratedTextField === "string" ? integratedTextField : undefined,
    };
  }

  #redact(text: string): string {
    return this.#apiKey.length >= 4 ? text.split(this.#apiKey).join("***") : text;
  }

  /** Maps any failure to our error types; the API key never appears in the message. */
  #fail(operation: string, error: unknown, writtenIds?: string[]): never {
    if (DeepRecallError.isInstance(error)) throw error;
    if (isAbortError(error)) throw new AbortError(`PineconeStore ${operation} was aborted`, { cause: error });
    const name = error instanceof Error ? error.name : "";
    const message = this.#redact(getErrorMessage(error));
    const written = writtenIds && writtenIds.length > 0 ? { writtenIds: [...writtenIds] } : {};
    const partial =
      writtenIds && writtenIds.length > 0
        ? ` (${writtenIds.length} records were written before the failure)`
        : "";
    const retryable = [
      "PineconeConnectionError",
      "PineconeInternalServerError",
      "PineconeUnavailableError",
      "PineconeMaxRetriesExceededError",
      "PineconeTimeoutError",
    ].includes(name);
    const hint =
      name === "PineconeAuthorizationError"
        ? " Check the API key (PINECONE_API_KEY)."
        : retryable
          ? " Pinecone may be unreachable."
          : "";
    // The cause is dropped on purpose: SDK errors can carry request headers, which hold the API key.
    throw new VectorStoreError(
      `Pinecone ${operation} failed for index "${this.indexName}": ${message}${hint}${partial}`,
      {
        store: this.name,
        retryable,
        ...written,
      },
    );
  }
}
