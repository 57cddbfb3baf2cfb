/**
 * Reciprocal rank fusion of ranked lists of slots (best first): fused(d) = Σ over the lists of
 * 1 / (k + rank(d)), ranks from 1, normalised by the best possible value (rank 1 in every list)
 * so a slot ranked first everywhere scores 1 and every score is in (0, 1]. Ties go to the slot
 * ranked higher in the first list, then to `tieBreak` (ascending). Returns the best `topK`.
 */
export function reciprocalRankFusion(
  lists: readonly number[][],
  k: number,
  topK: number,
  tieBreak: (a: number, b: number) => number,
): Array<{ slot: number; score: number }> {
  const fused = new Map<number, number>();
  for (const list of lists) {
    list.forEach((slot, index) => {
      fused.set(slot, (fused.get(slot) ?? 0) + 1 / (k + index + 1));
    });
  }
  const best = lists.length / (k + 1);
  const firstRank = new Map((lists[0] ?? []).map((slot, index) => [slot, index]));
  const rankOf = (slot: number) => firstRank.get(slot) ?? Number.MAX_SAFE_INTEGER;
  return [...fused.entries()]
    .sort((a, b) => b[1] - a[1] || rankOf(a[0]) - rankOf(b[0]) || tieBreak(a[0], b[0]))
    .slice(0, topK)
    .map(([slot, score]) => ({ slot, score: Math.min(1, score / best) }));
}
