import { describe, expect, it } from "vitest";
import { reciprocalRankFusion } from "./rank-fusion.ts";

const byNumber = (a: number, b: number) => a - b;

describe("reciprocalRankFusion", () => {
  it("scores rank 1 in every list as 1, and everything in (0, 1]", () => {
    const fused = reciprocalRankFusion(
      [
        [7, 3, 5],
        [7, 5, 9],
      ],
      60,
      10,
      byNumber,
    );
    expect(fused[0]).toEqual({ slot: 7, score: 1 });
    for (const { score } of fused) expect(score).toBeGreaterThan(0);
    for (const { score } of fused) expect(score).toBeLessThanOrEqual(1);
  });

  it("ranks a slot found by both lists above one found by a single list", () => {
    const fused = reciprocalRankFusion(
      [
        [1, 2],
        [3, 2],
      ],
      60,
      3,
      byNumber,
    );
    expect(fused[0]!.slot).toBe(2);
    expect(fused.map((f) => f.slot)).toHaveLength(3);
  });

  it("breaks ties by the first list's rank, then by tieBreak, and keeps topK", () => {
    // 4 and 8 tie (rank 1 in one list each): 4 is ranked in the first list, so it wins.
    expect(
      reciprocalRankFusion(
        [
          [4, 1],
          [8, 2],
        ],
        60,
        2,
        byNumber,
      ).map((f) => f.slot),
    ).toEqual([4, 8]);
    // Within one list there are no ties; with an empty first list the tieBreak decides.
    expect(reciprocalRankFusion([[], [9]], 60, 1, byNumber).map((f) => f.slot)).toEqual([9]);
    expect(reciprocalRankFusion([[1, 2, 3]], 60, 2, byNumber)).toHaveLength(2);
  });

  it("with one list, the best slot scores 1", () => {
    expect(reciprocalRankFusion([[5, 6]], 60, 2, byNumber)[0]).toEqual({ slot: 5, score: 1 });
  });
});
