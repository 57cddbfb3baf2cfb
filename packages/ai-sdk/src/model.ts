import type {
  JSONObject,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4Source,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4Warning,
} from "@ai-sdk/provider";
import { InvalidArgumentError } from "@ai-sdk/provider";
import {
  type DeepRecallEngineApi,
  type DeepRecallResult,
  describeEngineEvent,
  type EngineEvent,
  type MetadataFilter,
  type QueryBudget,
  type QueryOptions,
  type SearchResult,
  validateFilter,
} from "@deeprecall/core";
import { z } from "zod";
import { mapPrompt, settingWarnings } from "./prompt.ts";

/** Settings fixed when the model is created; every field is a default a call can override. */
export interface DeepRecallModelSettings {
  /** The model id the AI SDK reports (`response.modelId`). Default "deeprecall". */
  modelId?: string;
  /** Hits per search. Default: the engine's topK. */
  topK?: number;
  /** Metadata filter applied to every search (Chroma operator set). */
  filters?: MetadataFilter;
  /** Per-query budget. */
  budget?: QueryBudget;
  /** Extra context shown to the engine's model. */
  contextPrefix?: string;
  /** Skip the engine's query-result cache. */
  noCache?: boolean;
  /**
   * Report the engine's progress (iterations, code, searches) as AI SDK reasoning parts.
   * Default true.
   */
  reasoning?: boolean;
}

/** Name of the `providerOptions` / `providerMetadata` key this provider reads and writes. */
export const PROVIDER_KEY = "deeprecall";

const budgetSchema = z.strictObject({
  maxIterations: z.int().positive().optional(),
  maxSearchCalls: z.int().nonnegative().optional(),
  maxTokens: z.int().positive().optional(),
  maxTimeSeconds: z.number().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
});

/** Per-call overrides: `providerOptions: { deeprecall: { topK, filters, budget, noCache, contextPrefix } }`. */
const callOptionsSchema = z.strictObject({
  topK: z.int().min(1).max(1000).optional(),
  filters: z.record(z.string(), z.unknown()).optional(),
  budget: budgetSchema.optional(),
  noCache: z.boolean().optional(),
  contextPrefix: z.string().optional(),
});

export type DeepRecallCallOptions = z.infer<typeof callOptionsSchema>;

function toUsage(result: DeepRecallResult): LanguageModelV4Usage {
  const u = result.usage;
  return {
    inputTokens: {
      total: u.inputTokens,
      noCache: u.inputTokens,
      cacheRead: undefined,
      cacheWrite: undefined,
    },
    outputTokens: { total: u.outputTokens, text: u.outputTokens, reasoning: undefined },
    raw: json({ ...u }),
  };
}

/** Drops `undefined` and anything else JSON cannot hold, as provider metadata must be JSON. */
function json<T>(value: T): JSONObject {
  return JSON.parse(JSON.stringify(value)) as JSONObject;
}

function finishReason(result: DeepRecallResult): LanguageModelV4FinishReason {
  // A budget breach ends the run early with a partial answer: the closest unified reason is a limit.
  if (result.budgetStatus?.exceeded) return { unified: "length", raw: "budget_exceeded" };
  return { unified: "stop", raw: "stop" };
}

function resultMetadata(result: DeepRecallResult) {
  return {
    [PROVIDER_KEY]: json({
      confidence: result.confidence,
      error: result.error ?? null,
      executionTimeMs: result.executionTimeMs,
      costUsd: result.usage.costUsd ?? null,
      budgetStatus: result.budgetStatus,
      steps: result.reasoningTrace.length,
      sources: result.sources,
    }),
  };
}

function titleOf(source: SearchResult): string {
  const m = source.metadata ?? {};
  for (const key of ["title", "source", "filename", "path"]) {
    const v = m[key];
    if (typeof v === "string" && v.trim()) return v;
  }
  return source.id;
}

/** A DeepRecall search hit as an AI SDK `source` part; content, score and metadata ride along. */
export function toSourcePart(source: SearchResult): LanguageModelV4Source {
  const providerMetadata = {
    [PROVIDER_KEY]: json({ content: source.content, score: source.score, metadata: source.metadata ?? {} }),
  };
  const url = source.metadata?.url;
  if (typeof url === "string" && /^https?:\/\//i.test(url)) {
    return {
      type: "source",
      sourceType: "url",
      id: source.id,
      url,
      title: titleOf(source),
      providerMetadata,
    };
  }
  const filename = source.metadata?.source;
  return {
    type: "source",
    sourceType: "document",
    id: source.id,
    mediaType: "text/plain",
    title: titleOf(source),
    ...(typeof filename === "string" ? { filename } : {}),
    providerMetadata,
  };
}

/** Links an optional outer signal to a controller we can also abort ourselves. */
function linkedController(signal: AbortSignal | undefined): {
  controller: AbortController;
  unlink: () => void;
} {
  const controller = new AbortController();
  if (!signal) return { controller, unlink: () => {} };
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return { controller, unlink: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * DeepRecall as an AI SDK language model (specification v4). The prompt's system messages
 * become instructions, earlier turns become history and the last user message is the query;
 * the engine's answer is the text, its progress is reasoning and its sources are `source` parts.
 */
export class DeepRecallLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4" as const;
  readonly provider = PROVIDER_KEY;
  readonly modelId: string;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  readonly engine: DeepRecallEngineApi;
  readonly settings: DeepRecallModelSettings;

  constructor(engine: DeepRecallEngineApi, settings: DeepRecallModelSettings = {}) {
    if (!engine || typeof engine.stream !== "function" || typeof engine.query !== "function") {
      throw new InvalidArgumentError({
        argument: "engine",
        message: "deeprecall(engine): expected a DeepRecallEngine (an object with query() and stream()).",
      });
    }
    if (settings.filters !== undefined) validateFilter(settings.filters, "filters");
    this.engine = engine;
    this.settings = settings;
    this.modelId = settings.modelId ?? "deeprecall";
  }

  private prepare(options: LanguageModelV4CallOptions): {
    query: string;
    queryOptions: QueryOptions;
    warnings: SharedV4Warning[];
  } {
    const mapped = mapPrompt(options.prompt);
    const parsed = callOptionsSchema.safeParse(options.providerOptions?.[PROVIDER_KEY] ?? {});
    if (!parsed.success) {
      throw new InvalidArgumentError({
        argument: `providerOptions.${PROVIDER_KEY}`,
        message: `Invalid providerOptions.${PROVIDER_KEY}: ${z.prettifyError(parsed.error)}`,
      });
    }
    const call = parsed.data;
    const filters = call.filters ?? this.settings.filters;
    if (call.filters !== undefined) validateFilter(call.filters, `providerOptions.${PROVIDER_KEY}.filters`);
    const s = this.settings;
    const topK = call.topK ?? s.topK;
    const budget = call.budget ?? s.budget;
    const contextPrefix = call.contextPrefix ?? s.contextPrefix;
    const queryOptions: QueryOptions = {
      ...(mapped.instructions ? { instructions: mapped.instructions } : {}),
      ...(mapped.history ? { history: mapped.history } : {}),
      ...(topK !== undefined ? { topK } : {}),
      ...(filters !== undefined ? { filters: filters as MetadataFilter } : {}),
      ...(budget !== undefined ? { budget } : {}),
      ...(contextPrefix !== undefined ? { contextPrefix } : {}),
      ...((call.noCache ?? s.noCache) ? { noCache: true } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.maxOutputTokens !== undefined ? { maxOutputTokens: options.maxOutputTokens } : {}),
    };
    return { query: mapped.query, queryOptions, warnings: [...mapped.warnings, ...settingWarnings(options)] };
  }

  /**
   * Translates engine events into v4 stream parts (without stream-start / response-metadata).
   * Progress becomes reasoning, answer deltas become text, the result becomes sources + finish.
   */
  private async *translate(events: AsyncIterable<EngineEvent>): AsyncGenerator<LanguageModelV4StreamPart> {
    const reasoning = this.settings.reasoning !== false;
    let reasoningId: string | undefined;
    let reasoningCount = 0;
    let textOpen = false;
    let streamed = "";
    let result: DeepRecallResult | undefined;

    for await (const event of events) {
      if (event.type === "answer-delta") {
        if (!event.text) continue;
        if (reasoningId) {
          yield { type: "reasoning-end", id: reasoningId };
          reasoningId = undefined;
        }
        if (!textOpen) {
          textOpen = true;
          yield { type: "text-start", id: "answer" };
        }
        streamed += event.text;
        yield { type: "text-delta", id: "answer", delta: event.text };
      } else if (event.type === "result") {
        result = event.result;
      } else if (reasoning) {
        const line = describeEngineEvent(event);
        if (!line) continue;
        if (!reasoningId) {
          reasoningId = `reasoning-${reasoningCount++}`;
          yield { type: "reasoning-start", id: reasoningId };
        }
        yield { type: "reasoning-delta", id: reasoningId, delta: line };
      }
    }
    if (!result) throw new Error("DeepRecall engine stream ended without a result");
    if (reasoningId) yield { type: "reasoning-end", id: reasoningId };
    // Whatever part of the final answer was not streamed as deltas goes out now.
    const rest = result.answer.startsWith(streamed) ? result.answer.slice(streamed.length) : "";
    if (rest) {
      if (!textOpen) {
        textOpen = true;
        yield { type: "text-start", id: "answer" };
      }
      yield { type: "text-delta", id: "answer", delta: rest };
    }
    if (textOpen) yield { type: "text-end", id: "answer" };
    for (const source of result.sources) yield toSourcePart(source);
    yield {
      type: "finish",
      finishReason: finishReason(result),
      usage: toUsage(result),
      providerMetadata: resultMetadata(result),
    };
  }

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { query, queryOptions, warnings } = this.prepare(options);
    const timestamp = new Date();
    const { controller, unlink } = linkedController(options.abortSignal);
    try {
      let reasoningText = "";
      let text = "";
      const sources: LanguageModelV4Source[] = [];
      let finish: Extract<LanguageModelV4StreamPart, { type: "finish" }> | undefined;
      const events = this.engine.stream(query, { ...queryOptions, signal: controller.signal });
      for await (const part of this.translate(events)) {
        if (part.type === "reasoning-delta") reasoningText += part.delta;
        else if (part.type === "text-delta") text += part.delta;
        else if (part.type === "source") sources.push(part);
        else if (part.type === "finish") finish = part;
      }
      if (!finish) throw new Error("DeepRecall engine stream ended without a result");
      const content: LanguageModelV4Content[] = [];
      if (reasoningText) content.push({ type: "reasoning", text: reasoningText });
      content.push({ type: "text", text });
      content.push(...sources);
      return {
        content,
        finishReason: finish.finishReason,
        usage: finish.usage,
        ...(finish.providerMetadata ? { providerMetadata: finish.providerMetadata } : {}),
        request: { body: { query, ...queryOptions } },
        response: { id: `deeprecall-${crypto.randomUUID()}`, modelId: this.modelId, timestamp },
        warnings,
      };
    } finally {
      unlink();
    }
  }

  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { query, queryOptions, warnings } = this.prepare(options);
    const { controller, unlink } = linkedController(options.abortSignal);
    const parts = this.translate(this.engine.stream(query, { ...queryOptions, signal: controller.signal }));
    const head: LanguageModelV4StreamPart[] = [
      { type: "stream-start", warnings },
      {
        type: "response-metadata",
        id: `deeprecall-${crypto.randomUUID()}`,
        modelId: this.modelId,
        timestamp: new Date(),
      },
    ];
    let done = false;
    const end = () => {
      done = true;
      unlink();
    };

    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      pull: async (out) => {
        const first = head.shift();
        if (first) {
          out.enqueue(first);
          return;
        }
        try {
          const next = await parts.next();
          if (next.done) {
            end();
            out.close();
          } else {
            out.enqueue(next.value);
          }
        } catch (error) {
          end();
          if (controller.signal.aborted) {
            out.error(error);
          } else {
            out.enqueue({ type: "error", error });
            out.close();
          }
        }
      },
      cancel: async (reason) => {
        if (done) return;
        end();
        controller.abort(reason ?? new Error("stream cancelled"));
        await parts.return(undefined).catch(() => {});
      },
    });
    return { stream, request: { body: { query, ...queryOptions } } };
  }
}
