import { describe, expect, it } from "vitest";
import { tighterBudget } from "./tighter-budget.ts";

describe("tighterBudget", () => {
  it("keeps every limit either sets and the smaller where both do", () => {
    expect(
      tighterBudget(
        { maxTokens: 1000, maxTimeSeconds: 60 },
        { maxTokens: 1e9, maxCostUsd: 1, maxTimeSeconds: 5 },
      ),
    ).toEqual({ maxTokens: 1000, maxTimeSeconds: 5, maxCostUsd: 1 });
  });

  it("treats undefined as no limits, and never hands back its arguments", () => {
    const a = { maxSearchCalls: 3 };
    expect(tighterBudget(undefined, undefined)).toBeUndefined();
    const fromA = tighterBudget(a, undefined);
    const fromB = tighterBudget(undefined, a);
    expect(fromA).toEqual(a);
    expect(fromB).toEqual(a);
    expect(fromA).not.toBe(a);
    expect(fromB).not.toBe(a);
    expect(tighterBudget(a, { maxSearchCalls: undefined })).toEqual(a);
  });
});
