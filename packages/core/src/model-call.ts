/**
 * One request to a language model, the way the engine makes every call: streamed from the
 * backend when the model can stream (so an abort closes the HTTP stream and the backend stops
 * generating), through `generateText` when it cannot, with usage read from the provider or
 * estimated when the backend reports none.
 */
import { type FinishReason, generateText, type LanguageModel, type ModelMessage, streamText } from "ai";
import { type CallUsage, type ReportedUsage, usageDetails } from "./usage.ts";

export interface ModelRequest {
  instructions?: string;
  messages: ModelMessage[];
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Output-token cap sent with the request. */
  maxOutputTokens?: number;
}

export interface ModelReply {
  text: string;
  usage: CallUsage;
  /** True when the backend reported no usage and `usage` is the chars/4 estimate. */
  estimated: boolean;
  providerMetadata: unknown;
  /**
   * Why the backend stopped, as the AI SDK reports it: "length" means the output-token cap cut
   * the reply, so whatever it was writing at the end is incomplete.
   */
  finishReason: FinishReason;
}

/** Models (objects, or model-id strings) that failed to stream: later calls go to generateText. */
const nonStreamingModels = new WeakSet<object>();
const nonStreamingIds = new Set<string>();

function markNonStreaming(model: LanguageModel): void {
  if (typeof model === "string") nonStreamingIds.add(model);
  else nonStreamingModels.add(model);
}

function streams(model: LanguageModel): boolean {
  return typeof model === "string" ? !nonStreamingIds.has(model) : !nonStreamingModels.has(model);
}

/**
 * Whether an error says the backend (or model object) cannot stream this request: a model
 * without `doStream` ("Not implemented"), or a server that refuses streaming ("automatic
 * streaming tool choice is not supported", "streaming is not supported").
 */
export function cannotStream(error: unknown): boolean {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  return (
    /^not implemented$/i.test(message.trim()) ||
    /stream\w*[^.]{0,60}\bnot (supported|implemented|available)|does not support stream|unsupported[^.]{0,20}stream/i.test(
      message,
    )
  );
}

/** Rough token count: 4 characters a token. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Characters of a request's prompt (instructions and messages, parts as JSON). */
export function promptChars(request: Pick<ModelRequest, "instructions" | "messages">): number {
  let chars = request.instructions?.length ?? 0;
  for (const m of request.messages)
    chars += typeof m.content === "string" ? m.content.length : JSON.stringify(m.content).length;
  return chars;
}

/**
 * Usage of one call from the provider's report, with the missing side estimated (≈ chars/4 of
 * the prompt and of the output) when the backend sent none, so token budgets hold. Cache-read
 * and reasoning tokens are kept when reported for a side that was not estimated.
 */
export function usageOrEstimate(
  reported: ReportedUsage | undefined,
  inputChars: number,
  outputText: string,
): { usage: CallUsage; estimated: boolean } {
  let input = reported?.inputTokens;
  let output = reported?.outputTokens;
  const nothing = (input ?? 0) === 0 && (output ?? 0) === 0 && (reported?.totalTokens ?? 0) === 0;
  let inputEstimated = false;
  let outputEstimated = false;
  if (input === undefined || nothing) {
    input = estimateTokens(inputChars);
    inputEstimated = true;
  }
  if (output === undefined || (nothing && outputText.length > 0)) {
    output = estimateTokens(outputText.length);
    outputEstimated = true;
  }
  const estimated = inputEstimated || outputEstimated;
  const total = estimated ? input + output : (reported?.totalTokens ?? input + output);
  const details = usageDetails(reported, { input: !inputEstimated, output: !outputEstimated });
  return { usage: { inputTokens: input, outputTokens: output, totalTokens: total, ...details }, estimated };
}

/**
 * Sends one request. `progress.text` holds the output received so far, so a caller can count
 * what a call that failed part-way (timeout, abort) had already generated. Throws the
 * provider's error unchanged; an aborted stream throws the signal's reason.
 */
export async function requestModel(
  model: LanguageModel,
  request: ModelRequest,
  signal: AbortSignal,
  progress: { text: string } = { text: "" },
): Promise<ModelReply> {
  const settings = {
    model,
    ...(request.instructions ? { instructions: request.instructions } : {}),
    messages: request.messages,
    abortSignal: signal,
    maxRetries: 0,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { topP: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
  };
  const inputChars = promptChars(request);
  if (streams(model)) {
    try {
      return await streamOnce(settings, signal, progress, inputChars);
    } catch (error) {
      if (signal.aborted || progress.text !== "" || !cannotStream(error)) throw error;
      markNonStreaming(model);
    }
  }
  const result = await generateText(settings);
  progress.text = result.text;
  const { usage, estimated } = usageOrEstimate(result.totalUsage ?? result.usage, inputChars, result.text);
  return {
    text: result.text,
    usage,
    estimated,
    providerMetadata: result.providerMetadata,
    finishReason: result.finishReason,
  };
}

async function streamOnce(
  settings: Parameters<typeof streamText>[0],
  signal: AbortSignal,
  progress: { text: string },
  inputChars: number,
): Promise<ModelReply> {
  const result = streamText({ ...settings, onError: () => {} });
  let reported: Parameters<typeof usageOrEstimate>[0];
  let providerMetadata: unknown;
  // streamText ends every stream with a finish part; "other" is its own default should one lack it.
  let finishReason: FinishReason = "other";
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") progress.text += part.text;
    else if (part.type === "error") throw part.error;
    else if (part.type === "finish-step") providerMetadata = part.providerMetadata;
    else if (part.type === "finish") {
      reported = part.totalUsage;
      finishReason = part.finishReason;
    } else if (part.type === "abort") break;
  }
  if (signal.aborted) throw signal.reason ?? new DOMException("The operation was aborted", "AbortError");
  const { usage, estimated } = usageOrEstimate(reported, inputChars, progress.text);
  return { text: progress.text, usage, estimated, providerMetadata, finishReason };
}

/**
 * The sampling settings a query sets for its root model's turns (`QueryOptions.temperature`,
 * `topP`, `seed`), only those given, as AI SDK call settings. Sub-model calls keep the
 * provider's defaults: they answer the root's own prompts, not the user's.
 */
export function rootSampling(options: { temperature?: number; topP?: number; seed?: number }): {
  temperature?: number;
  topP?: number;
  seed?: number;
} {
  return {
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
}
