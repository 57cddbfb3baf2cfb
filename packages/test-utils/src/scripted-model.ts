import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
} from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";

/**
 * One scripted model turn: text, raw content parts (e.g. tool calls), a function of the call, or
 * an Error, thrown as that call's failure (a provider rejecting the request).
 */
export type ScriptedReply =
  | string
  | LanguageModelV4Content[]
  | Error
  | ((call: LanguageModelV4CallOptions) => Promise<string> | string);

/** AI SDK v4 usage for `input` prompt and `output` completion tokens. */
export function mockUsage(input: number, output: number) {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

/**
 * The LLM double used across the packages' tests: an AI SDK `MockLanguageModelV4` replaying
 * `replies` in order (10 input / 5 output tokens each). It honours the abort signal, and running
 * past the script fails the test loudly instead of inventing an answer.
 */
export function scriptedModel(replies: ScriptedReply[], modelId = "mock-root") {
  let i = 0;
  return new MockLanguageModelV4({
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      call.abortSignal?.throwIfAborted();
      const reply = replies[i++];
      if (reply === undefined) throw new Error(`scriptedModel(${modelId}): no reply scripted for call ${i}`);
      if (reply instanceof Error) throw reply;
      const resolved = typeof reply === "function" ? await reply(call) : reply;
      const content: LanguageModelV4Content[] =
        typeof resolved === "string" ? [{ type: "text", text: resolved }] : resolved;
      const toolCall = content.some((c) => c.type === "tool-call");
      return {
        content,
        finishReason: toolCall
          ? { unified: "tool-calls", raw: "tool_calls" }
          : { unified: "stop", raw: "stop" },
        usage: mockUsage(10, 5),
        warnings: [],
      };
    },
  });
}
