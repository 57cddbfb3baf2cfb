import { describe } from "vitest";
import { describeFuzz, FAST_RUNS } from "./harness/fuzz-suite.ts";

describe("fast-check properties over the real server", () => {
  describeFuzz(FAST_RUNS);
});
