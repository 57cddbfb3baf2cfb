/** Small statistics helpers used by every scenario (percentiles by linear interpolation). */
import { percentile } from "@deeprecall/core";

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    min: Math.min(...values),
    max: Math.max(...values),
    mean: values.reduce((sum, v) => sum + v, 0) / values.length,
  };
}

/** Formats a number for the tables: thousands separators, fixed decimals. */
export function fmt(value: number | null | undefined, decimals = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `a / b` formatted as "1.23×", or n/a when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined, decimals = 2): string {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return "n/a";
  return `${(a / b).toFixed(decimals)}×`;
}
