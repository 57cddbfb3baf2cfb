import {
  type AddDocumentsInput,
  assertDimensions,
  ConfigError,
  type Embedding,
  type EmbeddingFunction,
  type ListOptions,
  type ListPage,
  type Metadata,
  matchesFilter,
  type SearchOptions,
  type SearchResult,
  toEmbeddingFunction,
  type VectorStore,
  validateAddDocumentsInput,
  validateFilter,
} from "@deeprecall/core";
import { fakeEmbedding } from "./fake-embedding.ts";

interface Entry {
  content: string;
  metadata: Metadata;
  vector: number[];
}

/**
 * A brute-force, in-memory `VectorStore` for tests of code that needs *a* store (the engine,
 * the server). Dense only: cosine similarity over `embedding` (default `fakeEmbedding()`),
 * mapped to [0, 1] as max(0, cos). Not persistent. It passes the conformance suite, which is
 * also how the suite itself is checked.
 */
export class InMemoryVectorStore implements VectorStore {
  readonly name = "memory";
  #embed: EmbeddingFunction;
  #entries = new Map<string, Entry>();
  #dimension: number | undefined;

  constructor(options: { embedding?: Embedding } = {}) {
    this.#embed = toEmbeddingFunction(options.embedding ?? fakeEmbedding());
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    const ids = validateAddDocumentsInput(input);
    const vectors = input.embeddings ?? (await this.#embed(input.documents));
    const dimension = this.#dimension ?? vectors[0]!.length;
    assertDimensions(vectors, dimension);
    this.#dimension = dimension;
    ids.forEach((id, i) => {
      this.#entries.set(id, {
        content: input.documents[i]!,
        metadata: withoutEmptyValues(structuredClone(input.metadatas?.[i] ?? {})),
        vector: normalise(vectors[i]!),
      });
    });
    return ids;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    const topK = options.topK ?? 5;
    if (!Number.isInteger(topK) || topK < 1)
      throw new ConfigError("topK must be a positive integer", { field: "topK" });
    if (options.filters !== undefined) validateFilter(options.filters);
    options.signal?.throwIfAborted();
    if (this.#entries.size === 0) return [];
    const [q] = await this.#embed([query], { signal: options.signal });
    assertDimensions([q!], this.#dimension!, "query embedding");
    const qn = normalise(q!);
    const scored: SearchResult[] = [];
    for (const [id, e] of this.#entries) {
      if (!matchesFilter(e.metadata, options.filters)) continue;
      let dot = 0;
      for (let i = 0; i < qn.length; i++) dot += qn[i]! * e.vector[i]!;
      scored.push({
        id,
        content: e.content,
        metadata: structuredClone(e.metadata),
        score: Math.min(1, Math.max(0, dot)),
      });
    }
    return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, topK);
  }

  async delete(ids: string[]): Promise<void> {
    for (const id of ids) this.#entries.delete(id);
  }

  async count(): Promise<number> {
    return this.#entries.size;
  }

  /** Pages in id order; the cursor is the last id listed (base64url). */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ConfigError("limit must be an integer from 1 to 1000", { field: "limit" });
    if (options.cursor !== undefined && !/^[A-Za-z0-9_-]+$/.test(options.cursor))
      throw new ConfigError("cursor is not one this store returned", { field: "cursor" });
    const after =
      options.cursor === undefined ? undefined : Buffer.from(options.cursor, "base64url").toString();
    const ids = [...this.#entries.keys()].sort().filter((id) => after === undefined || id > after);
    const page = ids.slice(0, limit);
    return {
      documents: page.map((id) => {
        const e = this.#entries.get(id)!;
        return { id, content: e.content, metadata: structuredClone(e.metadata) };
      }),
      nextCursor: ids.length > limit ? Buffer.from(page.at(-1)!).toString("base64url") : null,
    };
  }

  async close(): Promise<void> {}
}

/** Stores keep no null values and no empty lists (as Chroma and Pinecone). */
function withoutEmptyValues(metadata: Metadata): Metadata {
  return Object.fromEntries(
    Object.entries(metadata).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0)),
  );
}

function normalise(v: number[]): number[] {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n === 0 ? v.slice() : v.map((x) => x / n);
}
