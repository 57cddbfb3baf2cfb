/**
 * How {@link percentile} picks a value between two measured ones.
 *
 * - `"linear"`: interpolates between the two closest ranks, at position `q/100 · (n − 1)` of the
 *   sorted values (Hyndman & Fan type 7: NumPy's default, Excel's `PERCENTILE.INC`). Smooth on
 *   small samples; the p50 of `[1, 2, 3, 4]` is 2.5.
 * - `"nearest-rank"`: the smallest measured value with at least `q`% of the values at or below
 *   it, `sorted[⌈q/100 · n⌉ − 1]` (the minimum for `q = 0`). Always a value that was measured;
 *   the p50 of `[1, 2, 3, 4]` is 2.
 */
export type PercentileMethod = "linear" | "nearest-rank";

/**
 * The `q`-th percentile (0 to 100) of `values`, in any order (the array is not changed), by
 * `method` (default `"linear"`). Both methods give the minimum at `q = 0` and the maximum at
 * `q = 100`.
 *
 * @throws RangeError for an empty list, or `q` outside 0..100 (or NaN).
 */
export function percentile(
  values: readonly number[],
  q: number,
  method: PercentileMethod = "linear",
): number {
  if (values.length === 0) throw new RangeError("percentile of an empty list");
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0..100, got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  if (method === "nearest-rank") {
    const rank = Math.ceil((q / 100) * sorted.length);
    return sorted[Math.max(0, rank - 1)]!;
  }
  const position = (q / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const lowValue = sorted[low]!;
  const highValue = sorted[Math.ceil(position)]!;
  return lowValue + (highValue - lowValue) * (position - low);
}
