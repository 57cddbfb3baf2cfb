import { describe, expect, it } from "vitest";
import { MemoryBudget, newMemoryBudget, PAGE_BYTES } from "./memory-budget.ts";

describe("MemoryBudget", () => {
  it("grants pages up to its cap, refuses past it without taking anything, and takes back what is given", () => {
    const share = newMemoryBudget(10 * PAGE_BYTES + 123);
    const a = new MemoryBudget(share);
    const b = new MemoryBudget(share); // another thread's view of the same buffer
    expect(a.capBytes).toBe(10 * PAGE_BYTES);
    expect(a.take(6)).toBe(true);
    expect(b.take(5)).toBe(false);
    expect(b.grantedBytes).toBe(6 * PAGE_BYTES);
    expect(b.take(4)).toBe(true);
    a.give(6);
    expect(b.grantedBytes).toBe(4 * PAGE_BYTES);
    expect(a.take(0)).toBe(true);
  });
});
