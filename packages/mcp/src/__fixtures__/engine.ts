import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { type AddDocumentsInput, DeepRecallEngine } from "@deeprecall/core";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import { MockLanguageModelV4 } from "ai/test";

export type Reply = string | ((call: LanguageModelV4CallOptions) => Promise<string> | string);

/** A MockLanguageModelV4 replaying replies in order (10 in / 5 out tokens each); running past the script fails. */
export function scripted(replies: Reply[], modelId = "mock-root") {
  let i = 0;
  return new MockLanguageModelV4({
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      call.abortSignal?.throwIfAborted();
      const reply = replies[i++];
      if (reply === undefined) throw new Error(`scripted(${modelId}): no reply for call ${i}`);
      const text = typeof reply === "function" ? await reply(call) : reply;
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 5, text: 5, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

export const CORPUS: Required<Pick<AddDocumentsInput, "ids" | "documents" | "metadatas">> = {
  ids: ["acme", "jane", "weather"],
  documents: [
    "Acme Corporation was founded by Jane Doe in 1999.",
    "Jane Doe was born in Lyon, France, and studied physics.",
    "The weather in Paris is mild in spring.",
  ],
  metadatas: [
    { source: "acme.txt", year: 1999 },
    { source: "people.txt", year: 2001 },
    { source: "weather.txt", year: 2020 },
  ],
};

export const INVESTIGATION = [
  "Let me look.\n```repl\nconst hits = searchDb('Acme founded')\nprint(hits[0].content)\n```",
  "FINAL(Jane Doe founded Acme in 1999.)",
];

/** A real engine over a seeded in-memory store. */
export async function seededEngine(
  model: MockLanguageModelV4,
  options: Partial<ConstructorParameters<typeof DeepRecallEngine>[0]> = {},
): Promise<DeepRecallEngine> {
  const store = new InMemoryVectorStore();
  await store.addDocuments(CORPUS);
  return new DeepRecallEngine({ vectorStore: store, model, ...options });
}
