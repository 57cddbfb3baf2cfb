import { type RerankingModel, rerank } from "ai";
import { ConfigError } from "./errors.ts";
import type { SearchResult } from "./types.ts";

/** Reorders and trims search hits for a query: a plain function, or an AI SDK reranking model. */
export type RerankFunction = (
  query: string,
  results: SearchResult[],
  topK: number,
) => Promise<SearchResult[]>;
export type Reranker = RerankFunction | RerankingModel;

export function isReranker(value: unknown): value is Reranker {
  return (
    typeof value === "function" ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { doRerank?: unknown }).doRerank === "function")
  );
}

/**
 * Reranks `results` and keeps the best `topK`. With an AI SDK model the score becomes the
 * model's relevance score (clamped to [0, 1]) and the store's own score is kept in
 * `metadata.retrievalScore`, so both stay visible in the sources.
 */
export async function applyReranker(
  reranker: Reranker,
  query: string,
  results: SearchResult[],
  topK: number,
  signal?: AbortSignal,
): Promise<SearchResult[]> {
  if (results.length === 0) return results;
  if (typeof reranker === "function") {
    const out = await reranker(query, results, topK);
    if (!Array.isArray(out))
      throw new ConfigError("The reranker function must return an array of search results", {
        field: "reranker",
      });
    return out.slice(0, topK);
  }
  const { ranking } = await rerank({
    model: reranker,
    documents: results.map((r) => r.content),
    query,
    topN: topK,
    ...(signal ? { abortSignal: signal } : {}),
  });
  return ranking.slice(0, topK).map(({ originalIndex, score }) => {
    const hit = results[originalIndex]!;
    return {
      ...hit,
      metadata: { ...hit.metadata, retrievalScore: hit.score },
      score: Math.min(1, Math.max(0, score)),
    };
  });
}
