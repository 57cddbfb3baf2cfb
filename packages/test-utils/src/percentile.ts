/** Percentiles live in @deeprecall/core (the CLI's benchmark uses them at runtime); re-exported for tests and benchmarks. */
export { type PercentileMethod, percentile } from "@deeprecall/core";
