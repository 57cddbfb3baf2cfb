import { describe } from "vitest";
import { describeSchemathesis, requireSchemathesis } from "./harness/schemathesis-suite.ts";

const available = requireSchemathesis();

/** The fast suite's Schemathesis run with many more examples per operation and another seed. */
describe.skipIf(!available)("Schemathesis over our own /openapi.json (long)", () => {
  describeSchemathesis(Number(process.env.HARDENING_SCHEMATHESIS_EXAMPLES ?? 400), 4242, 3000, {
    timeoutMs: 540_000,
  });
});
