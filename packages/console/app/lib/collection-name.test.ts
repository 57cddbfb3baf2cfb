import { describe, expect, it } from "vitest";
import { collectionNameProblem } from "./collection-name.ts";

describe("collectionNameProblem", () => {
  it("accepts what the store accepts and says what is wrong with the rest", () => {
    for (const ok of ["wiki", "Q3-reports", "a.b_c", "9", "x".repeat(128)]) {
      expect(collectionNameProblem(ok)).toBeNull();
    }
    expect(collectionNameProblem("")).toBe("Enter a name.");
    expect(collectionNameProblem("my docs")).toMatch(/Not allowed in a collection name: spaces/);
    expect(collectionNameProblem("a/b")).toMatch(/“\/”/);
    expect(collectionNameProblem("-x")).toBe("Start the name with a letter or a digit.");
    expect(collectionNameProblem("x".repeat(129))).toMatch(/limit is 128/);
  });
});
