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

  it("startModelCall weighs the calls in flight at the average spending per call, and settles once", () => {
    const b = new BudgetTracker({ maxTokens: 1000, maxCostUsd: 1 });
    const first = b.startModelCall("llmQuery");
    b.addTokens(200, 0.1);
    first();
    first(); // a second settle is a no-op
    // Average 200 a call: each call in flight is expected to spend that much.
    const inFlight = [b.startModelCall("llmQuery")]; // 200 spent + 200 = 400
    inFlight.push(b.startModelCall("llmQuery")); // + 200 = 600
    inFlight.push(b.startModelCall("llmQuery")); // 800
    inFlight.push(b.startModelCall("llmQuery")); // 1000, not past it
    expect(() => b.startModelCall("llmQuery")).toThrow(
      /Budget nearly spent: llmQuery refused, the 4 call\(s\) in flight are expected to use up the rest of maxTokens \(limit 1000\)/,
    );
    // Not marked spent: the calls in flight may spend nothing.
    expect(b.exceeded).toBe(false);
    for (const settle of inFlight) settle();
    // Nothing in flight: a call goes while any room is left.
    b.addTokens(700);
    const last = b.startModelCall("llmQuery");
    last();
    expect(() => b.startModelCall("llmQuery")).not.toThrow();
  });

  it("weighs the prompts of the calls in flight before any call was counted", () => {
    const b = new BudgetTracker({ maxTokens: 10_000 });
    // Four prompts of ~3,000 tokens each: the first three fit, the fourth would pass the limit.
    const settles = [b.startModelCall("llmQuery", 3000), b.startModelCall("llmQuery", 3000)];
    settles.push(b.startModelCall("llmQuery", 3000));
    expect(() => b.startModelCall("llmQuery", 3000)).toThrow(/the 3 call\(s\) in flight/);
    for (const settle of settles) settle();
    expect(() => b.startModelCall("llmQuery", 3000)).not.toThrow();
  });

  it("admitModelCall refuses a prompt that costs more than what is left of maxCostUsd", () => {
    const b = new BudgetTracker({ maxCostUsd: 0.01 });
    b.addTokens(100, 0.004);
    expect(() => b.admitModelCall("llmQuery", 1000, 0.25)).toThrow(
      "Budget too small for this prompt: llmQuery refused, its prompt (~$0.25) costs more than the $0.006 left of maxCostUsd (limit 0.01).",
    );
    expect(b.exceeded).toBe(false);
    expect(() => b.admitModelCall("llmQuery", 1000, 0.005)).not.toThrow();
  });

  it("weighs the cost of the calls in flight too", () => {
    const b = new BudgetTracker({ maxCostUsd: 0.01 });
    b.addTokens(100, 0.004);
    const one = b.startModelCall();
    expect(() => b.startModelCall()).toThrow(/maxCostUsd \(limit 0.01\)/);
    one();
  });

  it("admitModelCall refuses a prompt larger than what is left of maxTokens, without marking the budget spent", () => {
    const b = new BudgetTracker({ maxTokens: 1000 });
    b.addTokens(600);
    expect(() => b.admitModelCall("llmQuery", 401)).toThrow(
      "Budget too small for this prompt: llmQuery refused, its prompt (~401 tokens) is more than the 400 tokens left of maxTokens (limit 1000).",
    );
    expect(b.exceeded).toBe(false);
    expect(() => b.admitModelCall("llmQuery", 400)).not.toThrow();
  });

  it("reports null utilization without limits", () => {
    expect(new BudgetTracker().status()).toMatchObject({ utilization: null, exceeded: false, costUsd: null });
  });
});
