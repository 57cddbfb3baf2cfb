import { expect, test } from "vitest";
import { syntheticCorpus } from "./corpus.ts";

test("the synthetic corpus is deterministic and shaped as asked", () => {
  const a = syntheticCorpus(50, 5);
  const b = syntheticCorpus(50, 5);
  expect(a).toEqual(b);
  expect(a.documents).toHaveLength(50);
  expect(a.ids[49]).toBe("doc-49");
  expect(a.documents[0]!.split(" ")).toHaveLength(40);
  expect(a.queries).toHaveLength(5);
  expect(new Set(a.documents).size).toBe(50);
  expect(syntheticCorpus(50, 5, 7).documents).not.toEqual(a.documents);
});
