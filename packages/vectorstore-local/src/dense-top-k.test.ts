import { describe, expect, it } from "vitest";
import { denseTopK, normalise } from "./dense-top-k.ts";
import { VectorSlab } from "./vector-slab.ts";

function slab(vectors: number[][]): VectorSlab {
  const s = new VectorSlab(vectors[0]!.length);
  for (const v of vectors) s.append(normalise(v));
  return s;
}

describe("normalise", () => {
  it("scales to unit length and leaves a zero vector zero", () => {
    expect([...normalise([3, 4])]).toEqual([0.6000000238418579, 0.800000011920929]);
    expect([...normalise([0, 0])]).toEqual([0, 0]);
  });
});

describe("denseTopK", () => {
  const vectors = slab([
    [1, 0],
    [0.9, 0.1],
    [0, 1],
    [0.5, 0.5],
  ]);
  const rowSlot = Int32Array.from([10, 11, 12, 13]);

  it("returns the slots of the most similar rows, best first, at most depth", () => {
    expect(denseTopK(vectors, rowSlot, normalise([1, 0]), 2, undefined)).toEqual([10, 11]);
    expect(denseTopK(vectors, rowSlot, normalise([0, 1]), 4, undefined)).toEqual([12, 13, 11, 10]);
  });

  it("skips removed rows (slot -1) and slots `accept` refuses", () => {
    const removed = Int32Array.from([-1, 11, 12, 13]);
    expect(denseTopK(vectors, removed, normalise([1, 0]), 1, undefined)).toEqual([11]);
    expect(denseTopK(vectors, rowSlot, normalise([1, 0]), 2, (slot) => slot !== 11)).toEqual([10, 13]);
  });
});
