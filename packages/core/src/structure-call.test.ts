import { describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { LLMProviderError } from "./errors.ts";

const SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, year: { type: "integer" } },
  required: ["city", "year"],
  additionalProperties: false,
};

describe("DeepRecallEngine.structure", () => {
  it("asks the root model for JSON in the schema and returns the value and what the call spent", async () => {
    const model = scriptedModel([{ text: '{"city":"Paris","year":1889}', inputTokens: 40, outputTokens: 9 }]);
    const engine = new DeepRecallEngine({ vectorStore: new MemoryStore(), model });
    const result = await engine.structure({
      question: "Where and when was the tower built?",
      answer: "In Paris, in 1889.",
      schema: SCHEMA,
      name: "place",
      temperature: 0,
      topP: 0.5,
      seed: 7,
    });
    expect(result.value).toEqual({ city: "Paris", year: 1889 });
    expect(result.usage).toMatchObject({ inputTokens: 40, outputTokens: 9, totalTokens: 49, calls: 1 });
    expect(result.usage.byModel["mock-root"]).toMatchObject({ calls: 1, totalTokens: 49 });
    const call = model.doGenerateCalls[0]!;
    expect(call.responseFormat).toMatchObject({ type: "json", schema: SCHEMA, name: "place" });
    expect(call).toMatchObject({ temperature: 0, topP: 0.5, seed: 7 });
    expect(JSON.stringify(call.prompt)).toContain("In Paris, in 1889.");
    // The schema is in the prompt too: openai-compatible backends get json_object without it.
    expect(JSON.stringify(call.prompt)).toContain(JSON.stringify(JSON.stringify(SCHEMA)).slice(1, -1));
    await engine.close();
  });

  it("asks once more when the value fails validation, then fails as a provider error", async () => {
    const model = scriptedModel(['{"city":"Paris"}', '{"city":"Paris","year":1889}']);
    const engine = new DeepRecallEngine({ vectorStore: new MemoryStore(), model });
    const validate = (v: unknown) =>
      typeof (v as { year?: unknown }).year === "number" ? null : "year missing";
    const ok = await engine.structure({ question: "q", answer: "a", schema: SCHEMA, validate });
    expect(ok.value).toEqual({ city: "Paris", year: 1889 });
    expect(model.callCount).toBe(2);

    const bad = scriptedModel(['{"city":"Paris"}', '{"city":"Rome"}']);
    const engine2 = new DeepRecallEngine({ vectorStore: new MemoryStore(), model: bad });
    await expect(engine2.structure({ question: "q", answer: "a", schema: SCHEMA, validate })).rejects.toThrow(
      LLMProviderError,
    );
    expect(bad.callCount).toBe(2);
    await engine.close();
    await engine2.close();
  });

  it("with no schema, wants any JSON object (json_object mode)", async () => {
    const model = scriptedModel(['["not", "an", "object"]', '{"answer":"yes"}']);
    const engine = new DeepRecallEngine({ vectorStore: new MemoryStore(), model });
    const result = await engine.structure({ question: "q", answer: "yes", schema: null });
    expect(result.value).toEqual({ answer: "yes" });
    expect(model.doGenerateCalls[0]!.responseFormat).toMatchObject({ type: "json" });
    await engine.close();
  });
});
