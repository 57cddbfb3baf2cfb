import { describe, expect, test } from "vitest";
import { fmt, median, percentile, ratio, summarize } from "./stats.ts";

describe("percentile", () => {
  test("interpolates between closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30], 0)).toBe(10);
    expect(percentile([10, 20, 30], 100)).toBe(30);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
  });
  test("does not depend on input order and does not mutate it", () => {
    const values = [5, 1, 4, 2, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
  });
  test("rejects empty lists and out-of-range percentiles", () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

test("summarize", () => {
  const s = summarize([3, 1, 2]);
  expect(s).toEqual({ n: 3, p50: 2, p99: expect.closeTo(2.98, 5), min: 1, max: 3, mean: 2 });
});

test("fmt and ratio", () => {
  expect(fmt(12345.678)).toBe("12,346");
  expect(fmt(1.5, 2)).toBe("1.50");
  expect(fmt(Number.NaN)).toBe("n/a");
  expect(fmt(null)).toBe("n/a");
  expect(ratio(3, 2)).toBe("1.50×");
  expect(ratio(3, 0)).toBe("n/a");
  expect(ratio(3, undefined)).toBe("n/a");
});
