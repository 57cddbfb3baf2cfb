import { expect, test } from "vitest";
import { fmt, median, ratio, summarize } from "./stats.ts";

test("median: the middle value, or the mean of the two middle ones, whatever the input order", () => {
  const values = [5, 1, 4, 2, 3];
  expect(median(values)).toBe(3);
  expect(values).toEqual([5, 1, 4, 2, 3]);
  expect(median([4, 1, 3, 2])).toBe(2.5);
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
