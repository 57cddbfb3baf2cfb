import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { DeepRecallEngine } from "./engine.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

/** A model that never finishes: every reply starts a sub-investigation with llmQuery. */
function recursing() {
  return new MockLanguageModelV4({
    modelId: "recursing",
    doGenerate: async () => ({
      content: [{ type: "text", text: "```repl\nconst r = llmQuery('Who founded Acme?'); print(r)\n```" }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

describe("budget.maxIterations bounds child loops too", () => {
  it("with maxDepth 3 and { maxIterations: 2 }, every loop takes at most 2 turns (+ its forced one)", async () => {
    const store = new MemoryStore();
    await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe."] });
    const model = recursing();
    const engine = new DeepRecallEngine({ vectorStore: store, model, maxDepth: 3, sandbox: { workers: 2 } });
    engines.push(engine);
    const result = await engine.query("Who founded Acme?", { budget: { maxIterations: 2 } });
    // Depth 3: 2 turns, each with one direct sub-call, + forced = 5 calls. Depth 2: 2 × (1 + 5)
    // + 1 = 13. Root: 2 × (1 + 13) + 1 = 29.
    expect(model.doGenerateCalls).toHaveLength(29);
    expect(result.error).toBe("Budget exceeded: maxIterations (limit 2)");
    expect(result.reasoningTrace).toHaveLength(3);
  }, 60_000);
});
