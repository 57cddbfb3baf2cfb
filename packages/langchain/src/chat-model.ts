import type {
  DeepRecallEngineApi,
  DeepRecallResult,
  MetadataFilter,
  ModelMessage,
  QueryBudget,
  QueryOptions,
} from "@deeprecall/core";
import { describeEngineEvent, validateFilter } from "@deeprecall/core";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { type ChatGeneration, ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

export interface ChatDeepRecallCallOptions extends BaseChatModelCallOptions {
  topK?: number;
  filters?: MetadataFilter;
  budget?: QueryBudget;
  noCache?: boolean;
}

export interface ChatDeepRecallInput extends BaseChatModelParams {
  engine: DeepRecallEngineApi;
  /** Defaults for every call (each can be overridden per call, e.g. `model.invoke(x, { topK: 3 })`). */
  topK?: number;
  filters?: MetadataFilter;
  budget?: QueryBudget;
  /** Stream the engine's progress as `additional_kwargs.reasoning_content`. Default true. */
  reasoning?: boolean;
}

function historyMessage(message: BaseMessage): ModelMessage | undefined {
  const text = message.text;
  if (!text.trim()) return undefined;
  const type = message.getType();
  if (type === "human") return { role: "user", content: text };
  if (type === "ai") return { role: "assistant", content: text };
  return { role: "user", content: `[${type} output]\n${text}` };
}

/** Chat messages → engine call: system → instructions, earlier turns → history, last human message → query. */
export function toEngineQuery(messages: BaseMessage[]): { query: string; options: QueryOptions } {
  let last = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.getType() === "human") {
      last = i;
      break;
    }
  }
  if (last === -1) {
    throw new Error("ChatDeepRecall needs a human message: the last one is the question it answers.");
  }
  const query = messages[last]!.text;
  if (!query.trim()) throw new Error("ChatDeepRecall: the last human message has no text.");
  const instructions: string[] = [];
  const history: ModelMessage[] = [];
  messages.forEach((message, i) => {
    if (message.getType() === "system") {
      if (message.text.trim()) instructions.push(message.text);
      return;
    }
    if (i >= last) return;
    const m = historyMessage(message);
    if (m) history.push(m);
  });
  return {
    query,
    options: {
      ...(instructions.length ? { instructions: instructions.join("\n\n") } : {}),
      ...(history.length ? { history } : {}),
    },
  };
}

/** `response_metadata.deeprecall`: what DeepRecall adds to an answer. */
export interface DeepRecallResponseMetadata {
  sources: Array<{ id: string; content: string; metadata: Record<string, unknown>; score: number }>;
  confidence: number | null;
  /** Set when the run stopped early (e.g. a budget limit) and the answer is partial. */
  error: string | null;
  executionTimeMs: number;
  costUsd: number | null;
  steps: number;
}

/** The DeepRecall part of a `ChatDeepRecall` message (sources, confidence, …), typed; undefined for other messages. */
export function deepRecallMetadata(message: {
  response_metadata?: Record<string, unknown>;
}): DeepRecallResponseMetadata | undefined {
  return message.response_metadata?.deeprecall as DeepRecallResponseMetadata | undefined;
}

export function resultMetadata(result: DeepRecallResult): DeepRecallResponseMetadata {
  return {
    sources: result.sources.map((s) => ({
      id: s.id,
      content: s.content,
      metadata: s.metadata ?? {},
      score: s.score,
    })),
    confidence: result.confidence,
    error: result.error ?? null,
    executionTimeMs: result.executionTimeMs,
    costUsd: result.usage.costUsd ?? null,
    steps: result.reasoningTrace.length,
  };
}

/**
 * The DeepRecall engine as a LangChain chat model: use it anywhere a chat model goes in an
 * LCEL chain. `invoke` answers (sources in `response_metadata.deeprecall.sources`, usage in
 * `usage_metadata`); `stream` yields the engine's progress, then the answer text.
 */
export class ChatDeepRecall extends BaseChatModel<ChatDeepRecallCallOptions, AIMessageChunk> {
  static override lc_name(): string {
    return "ChatDeepRecall";
  }

  engine: DeepRecallEngineApi;
  topK: number | undefined;
  filters: MetadataFilter | undefined;
  budget: QueryBudget | undefined;
  reasoning: boolean;

  constructor(fields: ChatDeepRecallInput) {
    super(fields ?? {});
    if (!fields?.engine || typeof fields.engine.stream !== "function") {
      throw new TypeError("ChatDeepRecall: `engine` must be a DeepRecallEngine (with stream()).");
    }
    if (fields.filters !== undefined) validateFilter(fields.filters, "filters");
    this.engine = fields.engine;
    this.topK = fields.topK;
    this.filters = fields.filters;
    this.budget = fields.budget;
    this.reasoning = fields.reasoning ?? true;
  }

  override get callKeys(): string[] {
    return [...super.callKeys, "topK", "filters", "budget", "noCache"];
  }

  _llmType(): string {
    return "deeprecall";
  }

  override _identifyingParams(): Record<string, unknown> {
    return { model_name: this.engine.modelId, top_k: this.topK };
  }

  private queryOptions(messages: BaseMessage[], options: this["ParsedCallOptions"]) {
    const { query, options: mapped } = toEngineQuery(messages);
    const filters = options.filters ?? this.filters;
    if (options.filters !== undefined) validateFilter(options.filters, "filters");
    const topK = options.topK ?? this.topK;
    const budget = options.budget ?? this.budget;
    const queryOptions: QueryOptions = {
      ...mapped,
      ...(topK !== undefined ? { topK } : {}),
      ...(filters !== undefined ? { filters } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(options.noCache ? { noCache: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return { query, queryOptions };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { query, queryOptions } = this.queryOptions(messages, options);
    let streamed = "";
    let result: DeepRecallResult | undefined;
    const textChunk = async (text: string) => {
      const chunk = new ChatGenerationChunk({ text, message: new AIMessageChunk({ content: text }) });
      await runManager?.handleLLMNewToken(text, undefined, undefined, undefined, undefined, { chunk });
      return chunk;
    };
    for await (const event of this.engine.stream(query, queryOptions)) {
      if (event.type === "answer-delta") {
        if (!event.text) continue;
        streamed += event.text;
        yield await textChunk(event.text);
      } else if (event.type === "result") {
        result = event.result;
      } else if (this.reasoning) {
        const line = describeEngineEvent(event);
        if (line) {
          yield new ChatGenerationChunk({
            text: "",
            message: new AIMessageChunk({ content: "", additional_kwargs: { reasoning_content: line } }),
          });
        }
      }
    }
    if (!result) throw new Error("DeepRecall engine stream ended without a result");
    const rest = result.answer.startsWith(streamed) ? result.answer.slice(streamed.length) : "";
    if (rest) yield await textChunk(rest);
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: {
          input_tokens: result.usage.inputTokens,
          output_tokens: result.usage.outputTokens,
          total_tokens: result.usage.totalTokens,
        },
        response_metadata: {
          model_name: this.engine.modelId,
          finish_reason: result.budgetStatus?.exceeded ? "budget_exceeded" : "stop",
          deeprecall: resultMetadata(result),
        },
      }),
      generationInfo: { finish_reason: result.budgetStatus?.exceeded ? "budget_exceeded" : "stop" },
    });
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    let merged: ChatGenerationChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      merged = merged ? merged.concat(chunk) : chunk;
    }
    if (!merged) throw new Error("DeepRecall engine produced no output");
    const m = merged.message as AIMessageChunk;
    const message = new AIMessage({
      content: merged.text,
      additional_kwargs: m.additional_kwargs,
      response_metadata: m.response_metadata,
      ...(m.usage_metadata ? { usage_metadata: m.usage_metadata } : {}),
    });
    const generation: ChatGeneration = {
      text: merged.text,
      message,
      ...(merged.generationInfo ? { generationInfo: merged.generationInfo } : {}),
    };
    return { generations: [generation], llmOutput: { tokenUsage: m.usage_metadata } };
  }
}
