import { describe } from "vitest";
import { describeSchemathesis, requireSchemathesis } from "./harness/schemathesis-suite.ts";

const available = requireSchemathesis();

describe.skipIf(!available)("Schemathesis over our own /openapi.json", () => {
  describeSchemathesis(25, 20261126, 300);
});
