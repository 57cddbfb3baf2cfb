/** Pinecone's similarity metrics. */
export type PineconeMetric = "cosine" | "dotproduct" | "euclidean";

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * Converts a Pinecone query score to a similarity in [0, 1] (higher is better), keeping the order:
 * - cosine: Pinecone returns cos(a, b) in [-1, 1]; score = (1 + cos) / 2.
 * - dotproduct: Pinecone returns a·b; for unit vectors that is the cosine case; score =
 *   clamp((1 + a·b) / 2) (unnormalised vectors saturate at 0 or 1).
 * - euclidean: Pinecone returns the squared Euclidean distance d (lower is better); score = 1 / (1 + d).
 */
export function pineconeScore(score: number | undefined, metric: PineconeMetric): number {
  if (score === undefined || Number.isNaN(score)) return 0;
  if (metric === "euclidean") return clamp01(1 / (1 + Math.max(0, score)));
  return clamp01((1 + score) / 2);
}
