import { describe, expect, it } from "vitest";
import { mapConcurrent } from "./map-concurrent.ts";

/** A task that records how many run at once and finishes after `ms`. */
function tracker() {
  let inFlight = 0;
  let peak = 0;
  const run = async <T>(value: T, ms = 10): Promise<T> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, ms));
    inFlight--;
    return value;
  };
  return { run, peak: () => peak };
}

describe("mapConcurrent", () => {
  it("keeps input order and runs exactly `concurrency` at once", async () => {
    const t = tracker();
    const results = await mapConcurrent([5, 1, 4, 2, 3], 3, (n) => t.run(n * 10, n * 3));
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(t.peak()).toBe(3);
  });

  it("never runs more than there are items", async () => {
    const t = tracker();
    await mapConcurrent([1, 2], 8, (n) => t.run(n));
    expect(t.peak()).toBe(2);
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });

  it("starts nothing after the first failure, lets those in flight settle, then throws it", async () => {
    const started: number[] = [];
    let settled = 0;
    const error = await mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await new Promise((resolve) => setTimeout(resolve, n === 1 ? 1 : 20));
      settled++;
      if (n === 1) throw new Error("item 1 failed");
      return n;
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("item 1 failed");
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2);
  });

  it("rejects a concurrency that is not a positive integer", async () => {
    await expect(mapConcurrent([1], 0, async (n) => n)).rejects.toThrow(RangeError);
    await expect(mapConcurrent([1], 1.5, async (n) => n)).rejects.toThrow(RangeError);
  });
});
