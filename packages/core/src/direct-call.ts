import { generateText, jsonSchema, type LanguageModel, Output, streamText } from "ai";
import { callTimeoutError, callTimeoutReason } from "./call-timeout.ts";
import { ConfigError, DeepRecallError, isAbortError } from "./errors.ts";
import { cannotStream, promptChars, usageOrEstimate } from "./model-call.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import { isTransientError, toLLMProviderError, withRetry } from "./retry.ts";
import { withSchemaInstruction } from "./schema-instruction.ts";
import type { CompleteRequest, CompleteResult, UsageSummary } from "./types.ts";
import type { CallUsage } from "./usage.ts";
import { addUsage } from "./usage-summary.ts";

/** What a direct call of the root model (`structure`, `complete`) needs from its engine. */
export interface DirectCallContext {
  model: LanguageModel;
  modelId: string;
  pricing: DeepRecallEngineOptions["pricing"];
  retry: DeepRecallEngineOptions["retry"];
  /** Per-request timeout (ms); a request cut by it fails with `callTimeoutError`. */
  callTimeoutMs: number;
  /** Whether the backend streams: cleared for the engine's life once it refuses to. */
  streams: { value: boolean };
}

/**
 * One direct call of the root model: the messages as they are, no retrieval, no sandbox, the
 * model's own answer (for chat UIs' housekeeping: titles, tags, follow-ups). It takes the path
 * of the engine's own model calls: streamed from the backend when the model can stream (text
 * handed to `onText` as it arrives), the per-call timeout (`callTimeoutMs`), transient failures
 * retried per `retry` while nothing has been streamed yet, usage read from the provider or
 * estimated. Provider failures become `LLMProviderError`; an abort throws the abort.
 */
export async function completeDirect(
  ctx: DirectCallContext,
  request: CompleteRequest,
): Promise<CompleteResult> {
  if (!request || !Array.isArray(request.messages) || request.messages.length === 0) {
    throw new ConfigError("complete() needs at least one message", { field: "messages" });
  }
  const model = ctx.model;
  const signal = request.signal ?? new AbortController().signal;
  const timeoutMs = ctx.callTimeoutMs;
  const format = request.responseFormat;
  const output = !format
    ? undefined
    : format.schema === null
      ? Output.json()
      : Output.object({
          schema: jsonSchema<unknown>(format.schema),
          ...(format.name ? { name: format.name } : {}),
          ...(format.description ? { description: format.description } : {}),
        });
  const instructions = withSchemaInstruction(request.instructions, format);
  const settings = {
    model,
    ...(instructions ? { instructions } : {}),
    messages: request.messages,
    maxRetries: 0,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { topP: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
    ...(request.stopSequences?.length ? { stopSequences: request.stopSequences } : {}),
    ...(output ? { output } : {}),
  };
  const inputChars = promptChars({ messages: request.messages, ...(instructions ? { instructions } : {}) });
  const usage: UsageSummary = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };
  const count = (call: CallUsage, providerMetadata: unknown) =>
    addUsage(usage, ctx.modelId, call, ctx.pricing, providerMetadata);
  let streamed = false;
  let useStream = ctx.streams.value;
  try {
    return await withRetry(
      async () => {
        const timer = new AbortController();
        const handle = setTimeout(() => timer.abort(callTimeoutReason()), timeoutMs);
        const abortSignal = AbortSignal.any([signal, timer.signal]);
        let text = "";
        try {
          if (useStream) {
            try {
              const result = streamText({ ...settings, abortSignal, onError: () => {} });
              let reported: Parameters<typeof usageOrEstimate>[0];
              let providerMetadata: unknown;
              let finish: string | undefined;
              for await (const part of result.fullStream) {
                if (part.type === "text-delta") {
                  text += part.text;
                  streamed = true;
                  request.onText?.(part.text);
                } else if (part.type === "error") throw part.error;
                else if (part.type === "finish-step") providerMetadata = part.providerMetadata;
                else if (part.type === "finish") {
                  reported = part.totalUsage;
                  finish = part.finishReason;
                } else if (part.type === "abort") break;
              }
              if (abortSignal.aborted) throw abortSignal.reason;
              count(usageOrEstimate(reported, inputChars, text).usage, providerMetadata);
              return { text, usage, finishReason: finish === "length" ? "length" : "stop" };
            } catch (error) {
              if (abortSignal.aborted || text !== "" || !cannotStream(error)) throw error;
              useStream = false;
              ctx.streams.value = false;
            }
          }
          const result = await generateText({ ...settings, abortSignal });
          text = result.text;
          if (text) request.onText?.(text);
          streamed = text !== "";
          count(
            usageOrEstimate(result.totalUsage ?? result.usage, inputChars, text).usage,
            result.providerMetadata,
          );
          return {
            text,
            usage,
            finishReason: result.finishReason === "length" ? ("length" as const) : ("stop" as const),
          };
        } catch (error) {
          // A cut attempt was spent all the same: count what it had generated.
          if (abortSignal.aborted) count(usageOrEstimate(undefined, inputChars, text).usage, undefined);
          if (timer.signal.aborted && !signal.aborted) {
            throw callTimeoutError(timeoutMs);
          }
          throw error;
        } finally {
          clearTimeout(handle);
        }
      },
      {
        ...ctx.retry,
        signal,
        // Text already handed out cannot be taken back: only a call that streamed nothing is retried.
        isRetryable: (error) => !streamed && isTransientError(error),
      },
    );
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw signal.aborted ? (signal.reason ?? error) : error;
    if (DeepRecallError.isInstance(error)) throw error;
    throw toLLMProviderError(error);
  }
}
