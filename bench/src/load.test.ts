import { expect, test } from "vitest";
import { type RoundResult, summarizeRounds } from "./load.ts";
import { roundRatio } from "./scenarios/server.ts";

const round = (rps: number, p99: number): RoundResult => ({
  rps,
  p50: 1,
  p99,
  requests: rps,
  non2xx: 0,
  errors: 0,
  bytesPerRequest: 100,
});

test("summarizeRounds takes medians and sums failures", () => {
  const r = summarizeRounds("x", [round(100, 10), { ...round(300, 30), errors: 2 }, round(200, 20)]);
  expect(r.rps).toBe(200);
  expect(r.p99).toBe(20);
  expect(r.errors).toBe(2);
});

test("roundRatio pairs rounds before taking the median", () => {
  // Machine load halves both peers in round 2: per-round ratios stay 0.5, a ratio of medians would not.
  const a = summarizeRounds("a", [round(50, 10), round(10, 40), round(60, 10)]);
  const b = summarizeRounds("b", [round(100, 5), round(20, 20), round(120, 5)]);
  expect(roundRatio(a, b, "rps")).toBe(0.5);
  expect(roundRatio(a, b, "p99")).toBe(2);
});
