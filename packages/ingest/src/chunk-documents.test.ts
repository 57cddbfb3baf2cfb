import { describe, expect, it } from "vitest";
import { chunkText } from "./chunk.ts";
import { chunkDocuments } from "./chunk-documents.ts";

describe("chunkDocuments", () => {
  it("gives chunkText's chunks, each with source, filename, position, count and type", () => {
    const text = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    const options = { chunkSize: 300, chunkOverlap: 50 };
    const result = chunkDocuments(
      { text, kind: "text" },
      { ...options, source: "docs/a.txt", filename: "a.txt" },
    );
    expect(result.documents).toEqual(chunkText(text, options));
    expect(result.documents.length).toBeGreaterThan(2);
    expect(result.metadatas).toEqual(
      result.documents.map((_, chunk) => ({
        source: "docs/a.txt",
        filename: "a.txt",
        chunk,
        chunks: result.documents.length,
        type: "text",
      })),
    );
  });

  it("gives nothing for blank text", () => {
    expect(
      chunkDocuments(
        { text: " \n ", kind: "code" },
        { chunkSize: 100, chunkOverlap: 0, source: "a", filename: "a" },
      ),
    ).toEqual({ documents: [], metadatas: [] });
  });
});
