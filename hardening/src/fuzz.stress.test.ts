import { describe } from "vitest";
import { describeFuzz } from "./harness/fuzz-suite.ts";

/** The same fast-check properties as the fast suite, with many more inputs. */
describe("fast-check properties over the real server (long)", () => {
  describeFuzz(Number(process.env.HARDENING_FUZZ_RUNS_LONG ?? 3000), 1000);
});
