import { InMemoryVectorStore, scriptedModel } from "@deeprecall/test-utils";
import { describe, expect, it } from "vitest";
import { keywordHit, RAG_INSTRUCTIONS, ragPrompt, singlePassRag } from "./rag-baseline.ts";

describe("single-pass RAG baseline", () => {
  it("searches once, shows the numbered hits and the question in one model call, and counts usage", async () => {
    const store = new InMemoryVectorStore();
    await store.addDocuments({
      documents: ["Fredville is the capital of Freedonia.", "The moon is made of basalt."],
      metadatas: [{ filename: "freedonia.md" }, { filename: "moon.md" }],
      ids: ["f", "m"],
    });
    const calls: Array<{ system: unknown; user: string; maxOutputTokens: number | undefined }> = [];
    const model = scriptedModel([
      (call) => {
        const user = call.prompt.find((m) => m.role === "user");
        calls.push({
          system: call.prompt.find((m) => m.role === "system")?.content,
          user: JSON.stringify(user?.content),
          maxOutputTokens: call.maxOutputTokens,
        });
        return "Fredville [1]";
      },
    ]);
    const result = await singlePassRag({ store, model, query: "capital of Freedonia", topK: 1 });
    expect(result.answer).toBe("Fredville [1]");
    expect(result.sources.map((s) => s.id)).toEqual(["f"]);
    expect(result).toMatchObject({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.system).toBe(RAG_INSTRUCTIONS);
    expect(calls[0]!.user).toContain("[1] freedonia.md");
    expect(calls[0]!.user).toContain("Question: capital of Freedonia");
    expect(calls[0]!.maxOutputTokens).toBe(256);
  });

  it("builds a prompt that cuts long hits and says when there are none", () => {
    const long = { id: "x", content: "a".repeat(50), metadata: {}, score: 1 };
    expect(ragPrompt("q", [long], 10)).toBe(`Sources:\n\n[1] x\n${"a".repeat(10)}…\n\nQuestion: q`);
    expect(ragPrompt("q", [])).toContain("(no hits)");
  });

  it("scores keyword hits case-insensitively; null when nothing is expected", () => {
    expect(keywordHit("The capital is FREDVILLE.", ["fredville"])).toBe(1);
    expect(keywordHit("Fredville, on three  rivers", ["Fredville", "three rivers", "marmot"])).toBeCloseTo(
      2 / 3,
    );
    expect(keywordHit("anything", undefined)).toBeNull();
    expect(keywordHit("anything", [])).toBeNull();
  });
});
