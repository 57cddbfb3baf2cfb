import type { VectorSlab } from "./vector-slab.ts";

/** `vector` scaled to unit length (into `out`); a zero vector stays zero. */
export function normalise(
  vector: number[] | Float32Array,
  out = new Float32Array(vector.length),
): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm);
  if (norm === 0) return out;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

/**
 * Exact (brute-force) cosine top-k: the vectors are stored unit-length, so a dot product per
 * row, computed by the slab (WebAssembly SIMD where possible). `rowSlot` maps a row to its slot
 * (-1: removed); `accept` filters slots. Returns the best `depth` slots, best first; equal
 * scores keep row order.
 */
export function denseTopK(
  vectors: VectorSlab,
  rowSlot: Int32Array,
  query: Float32Array,
  depth: number,
  accept: ((slot: number) => boolean) | undefined,
): number[] {
  const topSlots: number[] = [];
  const topScores: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  vectors.forEachScoreBlock(query, (firstRow, scores) => {
    for (let r = 0; r < scores.length; r++) {
      const score = scores[r]!;
      if (topSlots.length >= depth && score <= floor) continue;
      const slot = rowSlot[firstRow + r]!;
      if (slot < 0) continue;
      if (accept && !accept(slot)) continue;
      // insert into the sorted (descending) top list; equal scores keep row order
      let i = topScores.length;
      while (i > 0 && topScores[i - 1]! < score) i--;
      topScores.splice(i, 0, score);
      topSlots.splice(i, 0, slot);
      if (topSlots.length > depth) {
        topScores.pop();
        topSlots.pop();
      }
      if (topSlots.length >= depth) floor = topScores[topScores.length - 1]!;
    }
  });
  return topSlots;
}
