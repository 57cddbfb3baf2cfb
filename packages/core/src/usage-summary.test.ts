import { describe, expect, it } from "vitest";
import type { UsageSummary } from "./types.ts";
import { addUsage } from "./usage-summary.ts";

describe("addUsage", () => {
  it("adds a call to the totals and under its model, with its cost when priced", () => {
    const usage: UsageSummary = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };
    const pricing = { m: { inputPerMillion: 1, outputPerMillion: 2 } };
    addUsage(
      usage,
      "m",
      { inputTokens: 1_000_000, outputTokens: 500_000, totalTokens: 1_500_000 },
      pricing,
      undefined,
    );
    addUsage(usage, "m", { inputTokens: 10, outputTokens: 5, totalTokens: 15 }, undefined, undefined);
    expect(usage).toMatchObject({
      inputTokens: 1_000_010,
      outputTokens: 500_005,
      totalTokens: 1_500_015,
      calls: 2,
    });
    expect(usage.byModel.m).toMatchObject({ calls: 2, totalTokens: 1_500_015 });
    expect(usage.costUsd).toBeCloseTo(2);
  });
});
