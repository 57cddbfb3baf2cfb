/** Chroma's distance spaces. Chroma's own default (when a collection names none) is "l2". */
export type ChromaSpace = "cosine" | "l2" | "ip";

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * Converts a Chroma distance to a similarity score in [0, 1] (higher is better), monotone in the
 * distance so Chroma's ranking is kept:
 * - cosine: Chroma returns d = 1 - cos(a, b) in [0, 2]; score = 1 - d / 2 = (1 + cos) / 2.
 * - ip: Chroma returns d = 1 - a·b; for unit vectors that is the cosine case; score =
 *   clamp(1 - d / 2) (unnormalised vectors saturate at 0 or 1).
 * - l2: Chroma returns the squared Euclidean distance d in [0, ∞); score = 1 / (1 + d).
 */
export function distanceToScore(distance: number | null | undefined, space: ChromaSpace): number {
  if (distance === null || distance === undefined || Number.isNaN(distance)) return 0;
  switch (space) {
    case "cosine":
    case "ip":
      return clamp01(1 - distance / 2);
    case "l2":
      return clamp01(1 / (1 + Math.max(0, distance)));
  }
}

/**
 * Chroma's distance between two vectors in `space`, as its query returns it: cosine
 * 1 - cos(a, b) (1 when either vector is zero), ip 1 - a·b, l2 the squared Euclidean distance.
 * For ranking records outside Chroma's index.
 */
export function chromaDistance(space: ChromaSpace, a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let squared = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
    squared += (x - y) * (x - y);
  }
  switch (space) {
    case "cosine":
      return aa === 0 || bb === 0 ? 1 : 1 - dot / Math.sqrt(aa * bb);
    case "ip":
      return 1 - dot;
    case "l2":
      return squared;
  }
}
