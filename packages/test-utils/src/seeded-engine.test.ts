import type { DeepRecallEngine } from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import { scriptedModel } from "./scripted-model.ts";
import { SEED_CORPUS, SEED_INVESTIGATION, seededEngine } from "./seeded-engine.ts";

describe("seededEngine", () => {
  let fromFirstTest: DeepRecallEngine | undefined;

  it("answers the seed investigation from the seeded corpus", async () => {
    const engine = await seededEngine(scriptedModel(SEED_INVESTIGATION));
    fromFirstTest = engine;
    expect(await engine.vectorStore.count()).toBe(SEED_CORPUS.ids.length);
    const result = await engine.query("Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme in 1999.");
    expect(result.sources.map((s) => s.id)).toContain("acme");
  });

  it("closed the previous test's engine when that test finished", async () => {
    await expect(fromFirstTest!.query("again")).rejects.toThrow(/closed/i);
  });
});
