import { MockLanguageModelV4 } from "ai/test";

/** An AI SDK mock model that answers every call with `FINAL(<answer>)` (10 in / 5 out tokens). */
export function finalAnswerModel(answer = "42", modelId = "mock-model") {
  return new MockLanguageModelV4({
    modelId,
    doGenerate: async () => ({
      content: [{ type: "text", text: `FINAL(${answer})` }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}
