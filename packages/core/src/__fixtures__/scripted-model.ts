import type {
  LanguageModelV4CallOptions,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";

/** How a scripted reply ended, as the backend reports it ("length": cut at the output-token cap). */
export type ScriptedFinish = LanguageModelV4FinishReason["unified"];

export type ScriptedReply =
  | string
  | {
      text: string;
      inputTokens?: number;
      outputTokens?: number;
      /** Cache-read input tokens the backend reports (`inputTokens.cacheRead`); unreported unless set. */
      cacheReadTokens?: number;
      /** Reasoning output tokens the backend reports (`outputTokens.reasoning`); unreported unless set. */
      reasoningTokens?: number;
      providerMetadata?: Record<string, Record<string, unknown>>;
      /** Default "stop". */
      finishReason?: ScriptedFinish;
    }
  | { error: unknown }
  | ((call: LanguageModelV4CallOptions) => string | Promise<string>);

function finish(unified: ScriptedFinish): LanguageModelV4FinishReason {
  return { unified, raw: unified };
}

/** A provider-level (V4) usage report; cache and reasoning details only when given. */
export function usage(
  input: number,
  output: number,
  details: { cacheRead?: number; reasoning?: number } = {},
) {
  return {
    inputTokens: {
      total: input,
      noCache: details.cacheRead === undefined ? undefined : input - details.cacheRead,
      cacheRead: details.cacheRead,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: details.reasoning === undefined ? undefined : output - details.reasoning,
      reasoning: details.reasoning,
    },
  };
}

/**
 * An AI SDK mock model replaying scripted replies in order (10 input / 5 output tokens each
 * unless told otherwise). Running past the script fails the test loudly.
 */
export function scriptedModel(replies: ScriptedReply[], modelId = "mock-root") {
  let i = 0;
  const model = new MockLanguageModelV4({
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      call.abortSignal?.throwIfAborted();
      const reply = replies[i++];
      if (reply === undefined) throw new Error(`scriptedModel(${modelId}): no reply scripted for call ${i}`);
      if (typeof reply === "object" && "error" in reply) throw reply.error;
      const r =
        typeof reply === "function"
          ? { text: await reply(call) }
          : typeof reply === "string"
            ? { text: reply }
            : reply;
      return {
        content: [{ type: "text", text: r.text }],
        finishReason: finish(("finishReason" in r && r.finishReason) || "stop"),
        usage: usage(
          ("inputTokens" in r && r.inputTokens) || 10,
          ("outputTokens" in r && r.outputTokens) || 5,
          {
            ...("cacheReadTokens" in r && r.cacheReadTokens !== undefined
              ? { cacheRead: r.cacheReadTokens }
              : {}),
            ...("reasoningTokens" in r && r.reasoningTokens !== undefined
              ? { reasoning: r.reasoningTokens }
              : {}),
          },
        ),
        ...("providerMetadata" in r && r.providerMetadata
          ? { providerMetadata: r.providerMetadata as never }
          : {}),
        warnings: [],
      };
    },
  });
  return Object.defineProperty(model, "callCount", { get: () => i }) as typeof model & {
    readonly callCount: number;
  };
}

/** A streaming mock for the tools strategy: each entry is one step's stream parts. */
export function streamingModel(steps: LanguageModelV4StreamPart[][], modelId = "mock-tools") {
  let i = 0;
  return new MockLanguageModelV4({
    modelId,
    doStream: async () => {
      const parts = steps[i++];
      if (!parts) throw new Error(`streamingModel: no step scripted for call ${i}`);
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}

/**
 * One reply's stream parts: `text` in `chunks` deltas, ending with `finishReason` (default "stop")
 * and 20 input / 8 output tokens (with the cache-read and reasoning `details` when given).
 */
export function textStep(
  text: string,
  chunks = 3,
  finishReason: ScriptedFinish = "stop",
  details: { cacheRead?: number; reasoning?: number } = {},
): LanguageModelV4StreamPart[] {
  const size = Math.ceil(text.length / chunks);
  const deltas: LanguageModelV4StreamPart[] = [];
  for (let k = 0; k < text.length; k += size)
    deltas.push({ type: "text-delta", id: "t", delta: text.slice(k, k + size) });
  return [
    { type: "stream-start", warnings: [] },
    { type: "text-start", id: "t" },
    ...deltas,
    { type: "text-end", id: "t" },
    { type: "finish", finishReason: finish(finishReason), usage: usage(20, 8, details) },
  ];
}

/** A step calling `searchDb` with `input`: 15 input / 6 output tokens (and `details` when given). */
export function toolCallStep(
  toolCallId: string,
  input: Record<string, unknown>,
  details: { cacheRead?: number; reasoning?: number } = {},
): LanguageModelV4StreamPart[] {
  return [
    { type: "stream-start", warnings: [] },
    { type: "tool-call", toolCallId, toolName: "searchDb", input: JSON.stringify(input) },
    {
      type: "finish",
      finishReason: { unified: "tool-calls", raw: "tool_calls" },
      usage: usage(15, 6, details),
    },
  ];
}
