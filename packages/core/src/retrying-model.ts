import { gateway, type LanguageModel, wrapLanguageModel } from "ai";

/** Sends one request (`call`), retrying it as the caller sees fit; `signal` is the request's. */
export type RetryRequest = <T>(call: () => Promise<T>, signal: AbortSignal | undefined) => Promise<T>;

/** A model object for `model`; a model-id string resolves like the AI SDK does (global provider or gateway). */
function resolveModel(model: LanguageModel): Exclude<LanguageModel, string> {
  if (typeof model !== "string") return model;
  return (globalThis.AI_SDK_DEFAULT_PROVIDER ?? gateway).languageModel(model);
}

/**
 * `model` with every request it sends (`doGenerate`, `doStream`) going through `retry`: for
 * the AI SDK's multi-step calls (tool calling), whose steps the engine cannot wrap one by one,
 * so they get the same retry path as the engine's own model calls. A stream is retried only
 * while it opens (the HTTP request and its status); once it delivers parts, a failure is final.
 * Give the AI SDK `maxRetries: 0` with it, so requests are not retried twice.
 */
export function retryingModel(model: LanguageModel, retry: RetryRequest): LanguageModel {
  return wrapLanguageModel({
    model: resolveModel(model),
    middleware: {
      wrapGenerate: ({ doGenerate, params }) => retry(async () => doGenerate(), params.abortSignal),
      wrapStream: ({ doStream, params }) => retry(async () => doStream(), params.abortSignal),
    },
  });
}
