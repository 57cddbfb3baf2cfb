import { describe, expect, it } from "vitest";
import { percentile } from "./percentile.ts";

const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe("percentile, linear (the default)", () => {
  it("interpolates between the two closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile(ten, 90)).toBeCloseTo(9.1);
    expect(percentile([3, 1, 2], 99)).toBeCloseTo(2.98, 10);
    expect(percentile([1, 2, 3, 4], 50, "linear")).toBe(2.5);
  });

  it("gives the extremes at 0 and 100, and the value itself for one value", () => {
    expect(percentile([10, 20, 30], 0)).toBe(10);
    expect(percentile([10, 20, 30], 100)).toBe(30);
    expect(percentile([7], 37)).toBe(7);
  });
});

describe("percentile, nearest-rank", () => {
  it("returns a measured value: the smallest with at least q% at or below it", () => {
    expect(percentile([1, 2, 3, 4], 50, "nearest-rank")).toBe(2);
    expect(percentile(ten, 90, "nearest-rank")).toBe(9);
    expect(percentile(ten, 91, "nearest-rank")).toBe(10);
    expect(percentile(ten, 95, "nearest-rank")).toBe(10);
    expect(percentile([15, 20, 35, 40, 50], 30, "nearest-rank")).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 40, "nearest-rank")).toBe(20);
  });

  it("gives the extremes at 0 and 100", () => {
    expect(percentile([10, 20, 30], 0, "nearest-rank")).toBe(10);
    expect(percentile([10, 20, 30], 100, "nearest-rank")).toBe(30);
  });
});

describe("percentile, either method", () => {
  it.each(["linear", "nearest-rank"] as const)(
    "%s: sorts numerically, without changing the input",
    (method) => {
      const values = [100, 9, 20, 3];
      expect(percentile(values, 0, method)).toBe(3);
      expect(percentile(values, 100, method)).toBe(100);
      expect(values).toEqual([100, 9, 20, 3]);
    },
  );

  it.each(["linear", "nearest-rank"] as const)(
    "%s: rejects empty lists and percentiles outside 0..100",
    (method) => {
      expect(() => percentile([], 50, method)).toThrow(RangeError);
      expect(() => percentile([1], -1, method)).toThrow(RangeError);
      expect(() => percentile([1], 101, method)).toThrow(RangeError);
      expect(() => percentile([1], Number.NaN, method)).toThrow(RangeError);
    },
  );
});
