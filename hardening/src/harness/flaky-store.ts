import {
  type AddDocumentsInput,
  type SearchOptions,
  type SearchResult,
  type VectorStore,
  VectorStoreError,
} from "@deeprecall/core";

export type StoreFault = "none" | "down" | "fail-search-after";

/**
 * A VectorStore wrapper that fails on cue: "down" refuses everything (ECONNREFUSED, like a dead
 * server); "fail-search-after" lets `n` searches through, then fails (a store dying mid-query).
 */
export class FlakyStore implements VectorStore {
  readonly name: string;
  /**
   * "store-error": fail the way our own stores do (a retryable VectorStoreError naming the
   * store); "raw": a bare Error, as a third-party VectorStore might throw.
   */
  errorStyle: "store-error" | "raw" = "store-error";
  readonly inner: VectorStore;
  fault: StoreFault = "none";
  searchesBeforeFailure = 0;
  searches = 0;
  writes = 0;

  constructor(inner: VectorStore) {
    this.inner = inner;
    this.name = inner.name;
  }

  #refuse(): never {
    const cause = new Error("connect ECONNREFUSED 127.0.0.1:8000") as Error & { code: string };
    cause.code = "ECONNREFUSED";
    if (this.errorStyle === "raw") throw cause;
    throw new VectorStoreError(`The ${this.name} store is unreachable: ${cause.message}`, {
      cause,
      store: this.name,
      retryable: true,
    });
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    if (this.fault === "down") this.#refuse();
    this.writes++;
    return this.inner.addDocuments(input);
  }

  async search(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    this.searches++;
    if (this.fault === "down") this.#refuse();
    if (this.fault === "fail-search-after" && this.searches > this.searchesBeforeFailure) this.#refuse();
    return this.inner.search(query, options);
  }

  async delete(ids: string[]): Promise<void> {
    if (this.fault === "down") this.#refuse();
    return this.inner.delete(ids);
  }

  async count(): Promise<number> {
    if (this.fault === "down") this.#refuse();
    return this.inner.count();
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
