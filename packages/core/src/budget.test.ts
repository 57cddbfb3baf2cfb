import { describe, expect, it } from "vitest";
import { BudgetTracker } from "./budget.ts";

describe("BudgetTracker", () => {
  it("refuses searches past maxSearchCalls and records the limit", () => {
    const b = new BudgetTracker({ maxSearchCalls: 2 });
    expect(b.tryStartSearch()).toBe(true);
    expect(b.tryStartSearch()).toBe(true);
    expect(b.tryStartSearch()).toBe(false);
    expect(b.status()).toMatchObject({
      searchCalls: 2,
      exceeded: true,
      exceededLimit: "maxSearchCalls",
      utilization: 1,
    });
  });

  it("keeps the first limit hit", () => {
    const b = new BudgetTracker({ maxTokens: 10, maxCostUsd: 0.01 });
    b.addTokens(50, 1);
    expect(b.check()).toBe("maxTokens");
    expect(b.check()).toBe("maxTokens");
  });

  it("warns once per limit at 80%", () => {
    const b = new BudgetTracker({ maxTokens: 100 });
    b.addTokens(85);
    expect(b.newWarnings()).toEqual(["maxTokens: 85% used (85 of 100)"]);
    expect(b.newWarnings()).toEqual([]);
  });

  it("reports null utilization without limits", () => {
    expect(new BudgetTracker().status()).toMatchObject({ utilization: null, exceeded: false, costUsd: null });
  });
});
