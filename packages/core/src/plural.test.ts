import { describe, expect, it } from "vitest";
import { plural } from "./plural.ts";

describe("plural", () => {
  it("uses the singular for exactly one, the plural otherwise", () => {
    expect(plural(1, "document")).toBe("1 document");
    expect(plural(0, "document")).toBe("0 documents");
    expect(plural(2, "new chunk")).toBe("2 new chunks");
  });

  it("takes an irregular plural", () => {
    expect(plural(1, "match", "matches")).toBe("1 match");
    expect(plural(3, "match", "matches")).toBe("3 matches");
  });
});
