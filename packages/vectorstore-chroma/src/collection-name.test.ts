import { describe, expect, it } from "vitest";
import { chromaCollectionNameProblem } from "./collection-name.ts";

describe("chromaCollectionNameProblem", () => {
  it("accepts what the Chroma server accepts", () => {
    for (const name of ["abc", "wiki", "a-b_c.d", "Docs2024", "x".repeat(512), "1.2.3"]) {
      expect(chromaCollectionNameProblem(name), name).toBeUndefined();
    }
  });

  it("names the rule for what the Chroma server refuses", () => {
    // Each refused by a real Chroma 1.x server with a 400 "Validation error".
    for (const name of ["a", "ab", "abc-", "-abc", "a b c", "wiki/x", "x".repeat(513)]) {
      expect(chromaCollectionNameProblem(name), name).toMatch(/3-512 characters/);
    }
    expect(chromaCollectionNameProblem("ab..cd")).toMatch(/two consecutive periods/);
    expect(chromaCollectionNameProblem("1.2.3.4")).toMatch(/IPv4 address/);
  });
});
