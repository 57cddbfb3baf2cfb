import { describe, expect, it } from "vitest";
import { documentCount, formatInt, formatMs, formatScore, preview, shortId } from "./format.ts";

describe("format", () => {
  it("formats durations, scores and counts for people", () => {
    expect(formatMs(850)).toBe("850 ms");
    expect(formatMs(3240)).toBe("3.2 s");
    expect(formatMs(125_000)).toBe("2 min 5 s");
    expect(formatMs(Number.NaN)).toBe("–");
    expect(formatScore(0.91234)).toBe("0.912");
    expect(formatScore(null)).toBe("–");
    expect(formatInt(1204.4)).toBe("1,204");
  });

  it("previews text on one line, cut with an ellipsis", () => {
    expect(preview("a\n\n b   c")).toBe("a b c");
    expect(preview("x".repeat(10), 5)).toBe("xxxx…");
    expect(preview("short", 5)).toBe("short");
  });
});

describe("shortId", () => {
  it("keeps short ids whole and cuts long ones in the middle, keeping the chunk number", () => {
    expect(shortId("acme-1")).toBe("acme-1");
    expect(shortId("x".repeat(20))).toBe("x".repeat(20));
    const cut = shortId("be4db53767d41f4c1b159cfc-0");
    expect(cut).toBe("be4db53767…b159cfc-0");
    expect(cut).toHaveLength(20);
    expect(shortId("abcdefghij", 5)).toBe("ab…ij");
  });
});

describe("documentCount", () => {
  it("says document or documents", () => {
    expect(documentCount(1)).toBe("1 document");
    expect(documentCount(0)).toBe("0 documents");
    expect(documentCount(1204)).toBe("1,204 documents");
  });
});
