import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { DeepRecallEngine } from "./engine.ts";

// Users (and their tests) still hand us v3-spec models; the engine must drive them the same way.
describe("AI SDK v3-spec models", () => {
  it("runs the repl loop with a MockLanguageModelV3", async () => {
    const replies = ["```repl\nconst hits = searchDb('Acme')\nprint(hits.length)\n```", "FINAL(Jane Doe)"];
    let i = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => ({
        content: [{ type: "text", text: replies[i++]! }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 7, noCache: 7, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 3, text: 3, reasoning: 0 },
        },
        warnings: [],
      }),
    });
    const store = new MemoryStore();
    await store.addDocuments({ documents: ["Acme was founded by Jane Doe."] });
    const engine = new DeepRecallEngine({ vectorStore: store, model });
    try {
      const result = await engine.query("Who founded Acme?");
      expect(result.answer).toBe("Jane Doe");
      expect(result.usage).toMatchObject({ inputTokens: 14, outputTokens: 6, calls: 2 });
      expect(result.sources).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });
});
