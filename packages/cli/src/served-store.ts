import {
  type AddDocumentsInput,
  type CollectionInfo,
  getErrorMessage,
  type ListOptions,
  type ListPage,
  type SearchOptions,
  type SearchResult,
  type VectorStore,
  type VectorStoreCollections,
  VectorStoreError,
} from "@deeprecall/core";
import type { DeepRecallConfig } from "./config/index.ts";
import { CliError } from "./output.ts";
import { findServers } from "./server-advert.ts";
import type { CollectionsHandle, StoreHandle } from "./stores.ts";

/** Requests stay well under the server's default 1 MiB body limit. */
const MAX_BODY_BYTES = 512 * 1024;

interface ServerClientOptions {
  url: string;
  /** The Bearer key (the CLI's --api-keys / DEEPRECALL_API_KEYS); never printed. */
  apiKey?: string;
}

class ServerClient {
  readonly url: string;
  readonly #apiKey: string | undefined;

  constructor(options: ServerClientOptions) {
    this.url = options.url;
    this.#apiKey = options.apiKey;
  }

  /** The JSON body of a 2xx answer; `undefined` for a 404 when `allow404`; else a VectorStoreError. */
  async request<T>(
    method: string,
    route: string,
    options: { body?: unknown; allow404?: boolean; signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new VectorStoreError(
        `Could not reach the running server at ${this.url}: ${getErrorMessage(error)}`,
        { store: "local", cause: error },
      );
    }
    if (response.ok) return (await response.json()) as T;
    const text = await response.text().catch(() => "");
    if (response.status === 404 && options.allow404) return undefined;
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON
    }
    if (response.status === 401) {
      throw new CliError(
        `The running server at ${this.url} refused the request (401): ${message.replace(/[.\s]*$/, ".")} It was started with --api-keys: give one of its keys with --api-keys or DEEPRECALL_API_KEYS.`,
      );
    }
    throw new VectorStoreError(
      `The running server at ${this.url} answered ${method} ${route.split("?")[0]} with ${response.status}: ${message}`,
      { store: "local" },
    );
  }
}

/** Splits `items` into runs whose JSON stays under MAX_BODY_BYTES (each run holds at least one item). */
function batches<T>(items: T[], size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item) + 1;
    if (current.length > 0 && bytes + n > MAX_BODY_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");

interface ModelJson {
  id: string;
  collection?: string;
  documents?: number;
}

/**
 * A collection of the local store as a running `deeprecall serve` serves it: every write and
 * read is a request to its HTTP API.
 */
class ServedStore implements VectorStore {
  readonly name: string;
  readonly #client: ServerClient;
  readonly #collection: string;
  /** Whether to name the collection in requests (a server limited to one collection refuses that). */
  readonly #named: boolean;

  constructor(client: ServerClient, collection: string, named: boolean) {
    this.#client = client;
    this.#collection = collection;
    this.#named = named;
    this.name = `local:${collection}@${client.url}`;
  }

  #withCollection<T extends object>(body: T): T & { collection?: string } {
    return this.#named ? { ...body, collection: this.#collection } : body;
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    const rows = input.documents.map((document, i) => ({
      document,
      metadata: input.metadatas?.[i],
      id: input.ids?.[i],
      embedding: input.embeddings?.[i],
    }));
    const written: string[] = [];
    for (const batch of batches(rows, jsonBytes)) {
      const body = this.#withCollection({
        documents: batch.map((r) => r.document),
        ...(input.metadatas ? { metadatas: batch.map((r) => r.metadata) } : {}),
        ...(input.ids ? { ids: batch.map((r) => r.id) } : {}),
        ...(input.embeddings ? { embeddings: batch.map((r) => r.embedding) } : {}),
      });
      const result = await this.#client.request<{ ids: string[] }>("POST", "/v1/documents", { body });
      written.push(...(result?.ids ?? []));
    }
    return written;
  }

  async delete(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    for (const batch of batches(unique, jsonBytes)) {
      // 404: the collection does not exist (yet), so it holds none of them.
      await this.#client.request("DELETE", "/v1/documents", {
        body: this.#withCollection({ ids: batch }),
        allow404: true,
      });
    }
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const result = await this.#client.request<{
      data: Array<{ id: string; content: string; metadata?: Record<string, unknown>; score: number }>;
    }>("POST", "/v1/search", {
      body: this.#withCollection({
        query,
        ...(options.topK !== undefined ? { top_k: options.topK } : {}),
        ...(options.filters !== undefined ? { filters: options.filters } : {}),
      }),
      allow404: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return (result?.data ?? []).map((hit) => ({
      id: hit.id,
      content: hit.content,
      metadata: hit.metadata ?? {},
      score: hit.score,
    }));
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 100) });
    if (this.#named) query.set("collection", this.#collection);
    if (options.cursor) query.set("after", options.cursor);
    const page = await this.#client.request<{
      data: Array<{ id: string; content: string; metadata: Record<string, unknown> }>;
      next_cursor: string | null;
    }>("GET", `/v1/documents?${query}`, {
      allow404: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { documents: page?.data ?? [], nextCursor: page?.next_cursor ?? null };
  }

  async count(): Promise<number> {
    if (this.#named) {
      const listed = await collectionsOf(this.#client);
      return listed.find((c) => c.name === this.#collection)?.count ?? 0;
    }
    // A server limited to one collection lists no counts: count its documents page by page.
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await this.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      total += page.documents.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return total;
  }

  async close(): Promise<void> {}
}

/** The collections GET /v1/models lists with their counts (a server serving every collection). */
async function collectionsOf(client: ServerClient): Promise<CollectionInfo[]> {
  const models = await client.request<{ data: ModelJson[] }>("GET", "/v1/models");
  const out: CollectionInfo[] = [];
  for (const m of models?.data ?? []) {
    if (typeof m.collection === "string" && typeof m.documents === "number") {
      out.push({ name: m.collection, count: m.documents });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The store of `collection` through a running `deeprecall serve` that holds this local store, when
 * one advertises itself in the persist directory and answers; undefined otherwise (the caller
 * opens the store itself, and a lock held by a server that cannot be reached is reported as
 * before). A server that refuses the CLI's API key is an error: it is there, and holds the store.
 */
export async function openServedStore(
  config: DeepRecallConfig,
  collection: string,
  options: { log?: (line: string) => void; verb?: string } = {},
): Promise<StoreHandle | undefined> {
  if (config.vectorstore !== "local") return undefined;
  for (const advert of findServers(config.persistDir, collection)) {
    const client = new ServerClient({
      url: advert.url,
      ...(config.apiKeys?.[0] ? { apiKey: config.apiKeys[0] } : {}),
    });
    try {
      await client.request("GET", "/v1/models", { signal: AbortSignal.timeout(5000) });
    } catch (error) {
      if (error instanceof CliError) throw error; // 401: it is there and holds the store
      continue; // not answering (stopping, or a stale advert): try the next, then the store itself
    }
    options.log?.(`${options.verb ?? "sending to"} the running server at ${advert.url}`);
    const named = advert.collection === null;
    const store = new ServedStore(client, collection, named);
    const description = `local store in ${config.persistDir} (collection ${collection}), through the server at ${advert.url}`;
    const collections: VectorStoreCollections = {
      kind: "local",
      listCollections: async () =>
        named ? collectionsOf(client) : [{ name: collection, count: await store.count() }],
      open: (name: string) => new ServedStore(client, name, named),
      close: async () => {},
    };
    const handle: CollectionsHandle = {
      collections,
      defaultCollection: collection,
      kind: "local",
      description: `local store in ${config.persistDir}, through the server at ${advert.url}`,
      embedding: false,
      close: async () => {},
      stopServices: async () => {},
    };
    return {
      store,
      collection,
      collections: handle,
      info: { kind: "local", description, embedding: false },
      serverUrl: advert.url,
      close: async () => {},
      stopServices: async () => {},
    };
  }
  return undefined;
}
