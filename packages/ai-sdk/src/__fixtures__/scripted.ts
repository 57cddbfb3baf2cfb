import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
} from "@ai-sdk/provider";
import { type AddDocumentsInput, DeepRecallEngine } from "@deeprecall/core";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import { MockLanguageModelV4 } from "ai/test";

export type Reply =
  | string
  | LanguageModelV4Content[]
  | ((call: LanguageModelV4CallOptions) => Promise<string> | string);

export function usage(input: number, output: number) {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

/** A MockLanguageModelV4 replaying replies in order (10 in / 5 out tokens each); running past the script fails. */
export function scripted(replies: Reply[], modelId = "mock-root") {
  let i = 0;
  return new MockLanguageModelV4({
    modelId,
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      call.abortSignal?.throwIfAborted();
      const reply = replies[i++];
      if (reply === undefined) throw new Error(`scripted(${modelId}): no reply for call ${i}`);
      const resolved = typeof reply === "function" ? await reply(call) : reply;
      const content: LanguageModelV4Content[] =
        typeof resolved === "string" ? [{ type: "text", text: resolved }] : resolved;
      const toolCall = content.some((c) => c.type === "tool-call");
      return {
        content,
        finishReason: toolCall
          ? { unified: "tool-calls", raw: "tool_calls" }
          : { unified: "stop", raw: "stop" },
        usage: usage(10, 5),
        warnings: [],
      };
    },
  });
}

/** Resolves when `signal` aborts, rejecting with its reason: a model call that hangs until cancelled. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return reject(new Error("the model call got no abort signal"));
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
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
    { source: "acme.txt", year: 1999, title: "Acme history" },
    { source: "people.txt", year: 2001 },
    { source: "weather.txt", year: 2020, url: "https://example.com/weather" },
  ],
};

const engines: DeepRecallEngine[] = [];

/** A real DeepRecallEngine over a seeded in-memory store, closed by `closeEngines()`. */
export async function makeEngine(
  model: MockLanguageModelV4,
  options: Partial<ConstructorParameters<typeof DeepRecallEngine>[0]> = {},
) {
  const store = new InMemoryVectorStore();
  await store.addDocuments(CORPUS);
  const engine = new DeepRecallEngine({ vectorStore: store, model, ...options });
  engines.push(engine);
  return { engine, store };
}

export async function closeEngines() {
  await Promise.all(engines.splice(0).map((e) => e.close()));
}
