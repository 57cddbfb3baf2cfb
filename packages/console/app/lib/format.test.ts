import { describe, expect, it } from "vitest";
import { formatInt, formatMs, formatScore, preview } from "./format.ts";

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
