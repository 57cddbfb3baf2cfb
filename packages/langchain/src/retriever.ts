import type { MetadataFilter, SearchOptions, SearchResult } from "@deeprecall/core";
import { validateFilter } from "@deeprecall/core";
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";

/** Anything with `search()`: a DeepRecall `VectorStore` or a `DeepRecallEngine` (which searches through its cache). */
export type Searchable = { search(query: string, options?: SearchOptions): Promise<SearchResult[]> };

export interface DeepRecallRetrieverInput extends BaseRetrieverInput {
  /** The store (or engine) to search. */
  store: Searchable;
  /** Documents per query. Default 5. */
  topK?: number;
  /** Metadata filter (Chroma operators) applied to every search. */
  filters?: MetadataFilter;
  /** Drop hits scoring below this (scores are in [0, 1]). Default: keep all. */
  scoreThreshold?: number;
}

/** The metadata a retrieved `Document` carries: the stored metadata plus `id` and `score`. */
export type DeepRecallDocumentMetadata = Record<string, unknown> & { id: string; score: number };

/**
 * A LangChain retriever over any DeepRecall `VectorStore`. Each hit becomes a `Document`
 * whose `pageContent` is the text and whose metadata holds the stored metadata plus the hit's
 * `id` and `score` (also on `document.id`).
 */
export class DeepRecallRetriever extends BaseRetriever<DeepRecallDocumentMetadata> {
  static override lc_name(): string {
    return "DeepRecallRetriever";
  }

  lc_namespace = ["deeprecall", "retrievers"];
  store: Searchable;
  topK: number;
  filters: MetadataFilter | undefined;
  scoreThreshold: number | undefined;

  constructor(fields: DeepRecallRetrieverInput) {
    super(fields);
    if (!fields?.store || typeof fields.store.search !== "function") {
      throw new TypeError(
        "DeepRecallRetriever: `store` must be a VectorStore (or engine) with a search() method.",
      );
    }
    if (fields.topK !== undefined && (!Number.isInteger(fields.topK) || fields.topK < 1)) {
      throw new TypeError(
        `DeepRecallRetriever: \`topK\` must be a positive integer, got ${String(fields.topK)}.`,
      );
    }
    if (fields.filters !== undefined) validateFilter(fields.filters, "filters");
    this.store = fields.store;
    this.topK = fields.topK ?? 5;
    this.filters = fields.filters;
    this.scoreThreshold = fields.scoreThreshold;
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Document<DeepRecallDocumentMetadata>[]> {
    const hits = await this.store.search(query, {
      topK: this.topK,
      ...(this.filters ? { filters: this.filters } : {}),
    });
    return hits
      .filter((h) => this.scoreThreshold === undefined || h.score >= this.scoreThreshold)
      .map(
        (h) =>
          new Document<DeepRecallDocumentMetadata>({
            id: h.id,
            pageContent: h.content,
            metadata: { ...(h.metadata ?? {}), id: h.id, score: h.score },
          }),
      );
  }
}
