import { describe, expect, it } from "vitest";
import { chunkText } from "./chunk.ts";

describe("chunkText", () => {
  it("keeps short text as one trimmed chunk and drops empty text", () => {
    expect(chunkText("  hello world \n", { chunkSize: 100, chunkOverlap: 10 })).toEqual(["hello world"]);
    expect(chunkText(" \n\n ", { chunkSize: 100, chunkOverlap: 10 })).toEqual([]);
  });

  it("respects the size, overlaps consecutive chunks and loses no word", () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`);
    const text = words.join(" ");
    const chunks = chunkText(text, { chunkSize: 200, chunkOverlap: 50 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(200);
    // Every word appears whole in some chunk, in order.
    const seen = new Set(chunks.flatMap((c) => c.split(/\s+/)));
    for (const w of words) expect(seen.has(w)).toBe(true);
    // Consecutive chunks share text (the overlap), and no chunk starts mid-word.
    for (let i = 1; i < chunks.length; i++) {
      const prevWords = new Set(chunks[i - 1]!.split(" "));
      expect(prevWords.has(chunks[i]!.split(" ")[0]!)).toBe(true);
    }
  });

  it("prefers paragraph breaks", () => {
    const para = (ch: string) => `${ch.repeat(30)} ${ch.repeat(30)}.`;
    const text = [para("a"), para("b"), para("c"), para("d")].join("\n\n");
    const chunks = chunkText(text, { chunkSize: 140, chunkOverlap: 0 });
    expect(chunks).toEqual([`${para("a")}\n\n${para("b")}`, `${para("c")}\n\n${para("d")}`]);
  });

  it("cuts text without any whitespace by size and still terminates", () => {
    const chunks = chunkText("x".repeat(1050), { chunkSize: 100, chunkOverlap: 30 });
    expect(chunks.every((c) => c.length === 100 || c === chunks.at(-1))).toBe(true);
    expect(chunks.length).toBe(15);
  });

  it("rejects an overlap not smaller than the size", () => {
    expect(() => chunkText("abc", { chunkSize: 10, chunkOverlap: 10 })).toThrow(RangeError);
  });
});
