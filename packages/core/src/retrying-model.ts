import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from "@ai-sdk/provider";
import { gateway, type LanguageModel, wrapLanguageModel } from "ai";
import { raceAbort } from "./abort/race-abort.ts";
import { callTimeoutReason } from "./call-timeout.ts";

/** Sends one request (`call`), retrying it as the caller sees fit; `signal` is the request's. */
export type RetryRequest = <T>(call: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;

/** The per-request timeout of {@link retryingModel}. */
export interface RequestTimeout {
  /** Milliseconds from the moment a request is sent until its response — for a stream, its last part. */
  timeoutMs: number;
  /** The error a timed-out request fails with; make it retryable for the retry path to retry it. */
  error: () => Error;
  /**
   * Told about each request the timeout cut, with the characters of its prompt and the text it
   * had generated, so what it spent can be counted.
   */
  onCut?: (promptChars: number, text: string) => void;
}

/** A model object for `model`; a model-id string resolves like the AI SDK does (global provider or gateway). */
function resolveModel(model: LanguageModel): Exclude<LanguageModel, string> {
  if (typeof model !== "string") return model;
  return (globalThis.AI_SDK_DEFAULT_PROVIDER ?? gateway).languageModel(model);
}

/**
 * Stream parts that come before any output (a request that opened and then says nothing is
 * still "opening": retried like one that never opened).
 */
const PREAMBLE = new Set<LanguageModelV4StreamPart["type"]>([
  "stream-start",
  "response-metadata",
  "raw",
  "text-start",
  "reasoning-start",
]);

/** A timer for one request: `signal` fires after `timeoutMs` (never without a timeout). */
function requestTimer(timeout: RequestTimeout | undefined) {
  const controller = new AbortController();
  const handle = timeout
    ? setTimeout(() => controller.abort(callTimeoutReason()), timeout.timeoutMs)
    : undefined;
  return {
    signal: controller.signal,
    get fired() {
      return controller.signal.aborted;
    },
    clear: () => clearTimeout(handle),
  };
}

function promptChars(params: LanguageModelV4CallOptions): number {
  return JSON.stringify(params.prompt).length;
}

/**
 * `model` with every request it sends (`doGenerate`, `doStream`) going through `retry`: for
 * the AI SDK's multi-step calls (tool calling), whose steps the engine cannot wrap one by one,
 * so they get the same retry path as the engine's own model calls. With `timeout`, each request
 * is bounded from the moment it is sent: past `timeoutMs` its abort signal fires (the HTTP
 * request or stream closes, so the server stops generating) and it fails with `timeout.error()`,
 * also when the backend ignores the signal. A stream is retried while it opens — until its first
 * output part (text, tool call, finish); once it delivers output, a failure (its timeout
 * included) is final. Give the AI SDK `maxRetries: 0` with it, so requests are not retried twice.
 */
export function retryingModel(
  model: LanguageModel,
  retry: RetryRequest,
  timeout?: RequestTimeout,
): LanguageModel {
  return wrapLanguageModel({
    model: resolveModel(model),
    middleware: {
      wrapGenerate: ({ model: inner, params }) =>
        retry(() => generateOnce(inner, params, timeout), params.abortSignal),
      wrapStream: ({ model: inner, params }) =>
        retry(() => openStream(inner, params, timeout), params.abortSignal),
    },
  });
}

/** The request's own signal and its timer's, combined. */
function attemptSignal(params: LanguageModelV4CallOptions, timer: { signal: AbortSignal }): AbortSignal {
  return params.abortSignal ? AbortSignal.any([params.abortSignal, timer.signal]) : timer.signal;
}

async function generateOnce(
  model: LanguageModelV4,
  params: LanguageModelV4CallOptions,
  timeout: RequestTimeout | undefined,
) {
  const timer = requestTimer(timeout);
  const signal = attemptSignal(params, timer);
  try {
    return await raceAbort(Promise.resolve(model.doGenerate({ ...params, abortSignal: signal })), signal);
  } catch (error) {
    if (timeout && timer.fired && !params.abortSignal?.aborted) {
      timeout.onCut?.(promptChars(params), "");
      throw timeout.error();
    }
    throw error;
  } finally {
    timer.clear();
  }
}

/**
 * One streaming request: opened, and read up to its first output part (so a backend that
 * accepts the request and then never answers times out here, where it can be retried); the
 * returned stream replays what was read and goes on, still under the request's timeout.
 */
async function openStream(
  model: LanguageModelV4,
  params: LanguageModelV4CallOptions,
  timeout: RequestTimeout | undefined,
): Promise<LanguageModelV4StreamResult> {
  const timer = requestTimer(timeout);
  const signal = attemptSignal(params, timer);
  let text = "";
  let cut = false;
  const failure = (error: unknown): unknown => {
    if (timeout && timer.fired && !params.abortSignal?.aborted) {
      if (!cut) timeout.onCut?.(promptChars(params), text);
      cut = true;
      return timeout.error();
    }
    return error;
  };
  const track = (part: LanguageModelV4StreamPart) => {
    if (part.type === "text-delta") text += part.delta;
    else if (part.type === "finish") timer.clear();
  };
  let reader: ReadableStreamDefaultReader<LanguageModelV4StreamPart> | undefined;
  const head: LanguageModelV4StreamPart[] = [];
  let done = false;
  let result: LanguageModelV4StreamResult;
  try {
    result = await raceAbort(Promise.resolve(model.doStream({ ...params, abortSignal: signal })), signal);
    reader = result.stream.getReader();
    for (;;) {
      const next = await raceAbort(reader.read(), signal);
      if (next.done) {
        done = true;
        break;
      }
      head.push(next.value);
      track(next.value);
      if (!PREAMBLE.has(next.value.type)) break;
    }
  } catch (error) {
    timer.clear();
    reader?.cancel().catch(() => {});
    throw failure(error);
  }
  if (done) timer.clear();
  const source = reader;
  const stream = new ReadableStream<LanguageModelV4StreamPart>({
    start(controller) {
      for (const part of head) controller.enqueue(part);
      if (done) controller.close();
    },
    async pull(controller) {
      try {
        const next = await raceAbort(source.read(), signal);
        if (next.done) {
          timer.clear();
          controller.close();
          return;
        }
        track(next.value);
        controller.enqueue(next.value);
      } catch (error) {
        timer.clear();
        source.cancel().catch(() => {});
        controller.error(failure(error));
      }
    },
    cancel(reason) {
      timer.clear();
      return source.cancel(reason);
    },
  });
  return { ...result, stream };
}
