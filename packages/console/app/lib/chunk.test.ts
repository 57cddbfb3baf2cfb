import { describe, expect, it } from "vitest";
import { chunkLabel } from "./chunk.ts";

describe("chunkLabel", () => {
  it("names the chunk of a multi-chunk file, 1-based", () => {
    expect(chunkLabel({ chunk: 0, chunks: 3 })).toBe("chunk 1 of 3");
    expect(chunkLabel({ chunk: 2, chunks: 3 })).toBe("chunk 3 of 3");
  });

  it("says nothing for a single-chunk file or missing metadata", () => {
    expect(chunkLabel({ chunk: 0, chunks: 1 })).toBeNull();
    expect(chunkLabel({ source: "a.txt" })).toBeNull();
    expect(chunkLabel(undefined)).toBeNull();
    expect(chunkLabel({ chunk: "1", chunks: "3" })).toBeNull();
  });
});
