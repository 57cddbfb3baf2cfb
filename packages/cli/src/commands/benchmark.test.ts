import { describe, expect, it } from "vitest";
import { type BenchmarkEntry, summarise } from "./benchmark.ts";

function entry(timeMs: number): BenchmarkEntry {
  return {
    query: "q",
    timeMs,
    inputTokens: 1,
    outputTokens: 1,
    totalTokens: 2,
    llmCalls: 1,
    steps: 1,
    sources: 0,
    confidence: null,
    keywordHit: null,
    exceededLimit: null,
    answer: "a",
    error: null,
    failed: false,
  };
}

describe("summarise", () => {
  it("reports nearest-rank p50/p95: times that were measured", () => {
    const summary = summarise([40, 10, 30, 20].map(entry));
    expect(summary.p50Ms).toBe(20);
    expect(summary.p95Ms).toBe(40);
    expect(summary.meanMs).toBe(25);
  });

  it("reports 0 for a mode with no queries", () => {
    expect(summarise([])).toMatchObject({ queries: 0, p50Ms: 0, p95Ms: 0, meanMs: 0 });
  });
});
