import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel, streamingModel, textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { usageOrEstimate } from "./model-call.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import { readUsage, UsageAccumulator } from "./usage.ts";

// Cache-read and reasoning tokens: read from the AI SDK's usage details wherever usage is read,
// summed over the calls that reported them, absent (unknown) when none did.

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function engine(options: Omit<DeepRecallEngineOptions, "vectorStore">): Promise<DeepRecallEngine> {
  const store = new MemoryStore();
  await store.addDocuments({
    ids: ["acme"],
    documents: ["Acme Corporation was founded by Jane Doe in 1999."],
  });
  const e = new DeepRecallEngine({ vectorStore: store, grounding: false, ...options });
  engines.push(e);
  return e;
}

const SEARCH = "```repl\nconst hits = searchDb('Acme founder')\nprint(hits[0].content)\n```";
const FINAL = "FINAL(Jane Doe founded Acme in 1999.)";

describe("cache-read and reasoning tokens", () => {
  it("the run's summary, its model's entry and each step sum what the calls reported", async () => {
    const model = scriptedModel([
      { text: SEARCH, inputTokens: 100, outputTokens: 40, cacheReadTokens: 64, reasoningTokens: 12 },
      { text: FINAL, inputTokens: 150, outputTokens: 30, cacheReadTokens: 128, reasoningTokens: 20 },
    ]);
    const result = await (await engine({ model })).query("Who founded Acme?");
    expect(result.answer).toBe("Jane Doe founded Acme in 1999.");
    expect(result.usage).toMatchObject({
      inputTokens: 250,
      outputTokens: 70,
      totalTokens: 320,
      calls: 2,
      cachedInputTokens: 192,
      reasoningTokens: 32,
    });
    expect(result.usage.byModel["mock-root"]).toMatchObject({
      calls: 2,
      cachedInputTokens: 192,
      reasoningTokens: 32,
    });
    expect(result.reasoningTrace.map((s) => [s.usage.cachedInputTokens, s.usage.reasoningTokens])).toEqual([
      [64, 12],
      [128, 20],
    ]);
  });

  it("a model that reports none leaves them absent (unknown, not 0)", async () => {
    const result = await (await engine({ model: scriptedModel([SEARCH, FINAL]) })).query("Who founded Acme?");
    expect(result.usage).toMatchObject({ inputTokens: 20, outputTokens: 10, calls: 2 });
    expect(result.usage).not.toHaveProperty("cachedInputTokens");
    expect(result.usage).not.toHaveProperty("reasoningTokens");
    expect(result.usage.byModel["mock-root"]).not.toHaveProperty("cachedInputTokens");
    expect(result.reasoningTrace[0]!.usage).not.toHaveProperty("reasoningTokens");
  });

  it("sums only the calls that reported them; a reported 0 is a measurement", async () => {
    const model = scriptedModel([
      { text: SEARCH, cacheReadTokens: 0 },
      { text: FINAL, reasoningTokens: 3 },
    ]);
    const result = await (await engine({ model })).query("Who founded Acme?");
    expect(result.usage.cachedInputTokens).toBe(0);
    expect(result.usage.reasoningTokens).toBe(3);
  });

  it("the tools strategy reads them from each streamed step", async () => {
    const model = streamingModel([
      toolCallStep("c1", { query: "Acme founder" }, { cacheRead: 8, reasoning: 4 }),
      textStep("Jane Doe founded Acme in 1999.", 3, "stop", { cacheRead: 16, reasoning: 2 }),
    ]);
    const result = await (await engine({ model, strategy: "tools" })).query("Who founded Acme?");
    expect(result.usage).toMatchObject({
      inputTokens: 35,
      outputTokens: 14,
      cachedInputTokens: 24,
      reasoningTokens: 6,
    });
    expect(result.reasoningTrace.map((s) => s.usage.cachedInputTokens)).toEqual([8, 16]);
  });

  it("the tools strategy leaves them absent when the steps report none", async () => {
    const model = streamingModel([toolCallStep("c1", { query: "Acme founder" }), textStep("Jane Doe.")]);
    const result = await (await engine({ model, strategy: "tools" })).query("Who founded Acme?");
    expect(result.usage.totalTokens).toBe(49);
    expect(result.usage).not.toHaveProperty("cachedInputTokens");
    expect(result.usage).not.toHaveProperty("reasoningTokens");
  });

  it("structure and complete (direct calls) carry them, streamed or not", async () => {
    const shaped = await (
      await engine({ model: scriptedModel([{ text: '{"a":1}', cacheReadTokens: 5, reasoningTokens: 7 }]) })
    ).structure({ question: "q", answer: "a", schema: null });
    expect(shaped.usage).toMatchObject({ cachedInputTokens: 5, reasoningTokens: 7 });
    expect(shaped.usage.byModel["mock-root"]).toMatchObject({ cachedInputTokens: 5, reasoningTokens: 7 });

    const generated = await (
      await engine({ model: scriptedModel([{ text: "Title", cacheReadTokens: 2, reasoningTokens: 1 }]) })
    ).complete({ messages: [{ role: "user", content: "hi" }] });
    expect(generated.usage).toMatchObject({ cachedInputTokens: 2, reasoningTokens: 1 });

    const streamed = await (
      await engine({ model: streamingModel([textStep("Title", 2, "stop", { cacheRead: 3, reasoning: 0 })]) })
    ).complete({ messages: [{ role: "user", content: "hi" }] });
    expect(streamed.usage).toMatchObject({ cachedInputTokens: 3, reasoningTokens: 0 });

    const plain = await (await engine({ model: scriptedModel(["Title"]) })).complete({
      messages: [{ role: "user", content: "hi" }],
    });
    expect(plain.usage).not.toHaveProperty("cachedInputTokens");
    expect(plain.usage).not.toHaveProperty("reasoningTokens");
  });

  it("estimated usage leaves them absent; a reported side keeps its own", () => {
    const details = { inputTokenDetails: { cacheReadTokens: 4 }, outputTokenDetails: { reasoningTokens: 2 } };
    expect(usageOrEstimate({ ...details }, 400, "x".repeat(40)).usage).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      totalTokens: 110,
    });
    expect(usageOrEstimate({ inputTokens: 9, ...details }, 400, "abcd").usage).toEqual({
      inputTokens: 9,
      outputTokens: 1,
      totalTokens: 10,
      cachedInputTokens: 4,
    });
    expect(
      usageOrEstimate({ inputTokens: 9, outputTokens: 3, totalTokens: 12, ...details }, 0, "").usage,
    ).toEqual({
      inputTokens: 9,
      outputTokens: 3,
      totalTokens: 12,
      cachedInputTokens: 4,
      reasoningTokens: 2,
    });
  });

  it("the accumulator keeps them per model and in total", () => {
    const acc = new UsageAccumulator();
    acc.add("a", readUsage({ inputTokens: 10, outputTokens: 5, inputTokenDetails: { cacheReadTokens: 6 } }));
    acc.add("b", readUsage({ inputTokens: 10, outputTokens: 5 }));
    acc.add("a", readUsage({ inputTokens: 10, outputTokens: 5, outputTokenDetails: { reasoningTokens: 2 } }));
    const summary = acc.summary();
    expect(summary).toMatchObject({ totalTokens: 45, calls: 3, cachedInputTokens: 6, reasoningTokens: 2 });
    expect(summary.byModel.a).toMatchObject({ cachedInputTokens: 6, reasoningTokens: 2 });
    expect(summary.byModel.b).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15, calls: 1 });
  });
});
