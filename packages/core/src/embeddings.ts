import { embedMany } from "ai";
import { ConfigError } from "./errors.ts";
import type { Embedding, EmbeddingFunction } from "./types.ts";

/**
 * Turns an AI SDK `EmbeddingModel` or a plain function into one `EmbeddingFunction`.
 * AI SDK models are called through `embedMany`, which splits input into the model's own
 * per-call limit (`maxEmbeddingsPerCall`) and retries transient failures.
 */
export function toEmbeddingFunction(embedding: Embedding): EmbeddingFunction {
  if (typeof embedding === "function") {
    return async (texts, options) => {
      const vectors = await embedding(texts, options);
      if (!Array.isArray(vectors) || vectors.length !== texts.length) {
        throw new ConfigError(
          `Embedding function returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${texts.length} texts`,
          { field: "embedding" },
        );
      }
      return vectors;
    };
  }
  return async (texts, options) => {
    if (texts.length === 0) return [];
    const { embeddings } = await embedMany({
      model: embedding,
      values: texts,
      ...(options?.signal ? { abortSignal: options.signal } : {}),
    });
    return embeddings;
  };
}

/** Checks every vector has `dimension` finite numbers; throws naming the first bad one. */
export function assertDimensions(vectors: number[][], dimension: number, what = "embedding"): void {
  vectors.forEach((vector, i) => {
    if (!Array.isArray(vector) || vector.length !== dimension) {
      throw new ConfigError(
        `${what} ${i} has dimension ${Array.isArray(vector) ? vector.length : "?"}, expected ${dimension} (the collection's dimension)`,
        { field: "embeddings" },
      );
    }
    if (!vector.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new ConfigError(`${what} ${i} contains a non-finite number`, { field: "embeddings" });
    }
  });
}
