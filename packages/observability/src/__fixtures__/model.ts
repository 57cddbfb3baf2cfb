import { MockLanguageModelV4 } from "ai/test";

/** An AI SDK mock model replaying `replies` in order (10 in / 5 out tokens each); an Error reply is thrown. */
export function scriptedModel(replies: (string | Error)[], modelId = "mock-model") {
  let i = 0;
  return new MockLanguageModelV4({
    modelId,
    doGenerate: async () => {
      const reply = replies[i++];
      if (reply === undefined) throw new Error(`no reply scripted for call ${i}`);
      if (reply instanceof Error) throw reply;
      return {
        content: [{ type: "text", text: reply }],
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
