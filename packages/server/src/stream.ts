import { type DeepRecallEngineApi, type DeepRecallResult, describeEngineEvent } from "@deeprecall/core";
import type { ChatQuery } from "./convert.ts";
import { extensionJson, finishReason, usageJson } from "./convert.ts";
import { toApiError } from "./errors.ts";
import type { ServerLogger } from "./types.ts";

export interface StreamChatOptions {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
  reasoning: boolean;
  keepAliveMs: number;
  /** The request's signal: fires when the client goes away. */
  signal: AbortSignal;
  log: ServerLogger;
  requestId: string | undefined;
}

const encoder = new TextEncoder();
/** The progress line shown as `delta.reasoning_content` for an engine event, if any. */
export const progressLine = describeEngineEvent;

/**
 * Runs `engine.stream()` and relays it as OpenAI chat-completion chunks over SSE. The role
 * chunk is sent before the engine starts; a client disconnect aborts the engine run.
 */
export function streamChat(
  engine: DeepRecallEngineApi,
  chat: ChatQuery,
  options: StreamChatOptions,
): Response {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(options.signal.reason ?? new Error("client disconnected"));
  if (options.signal.aborted) onClientAbort();
  else options.signal.addEventListener("abort", onClientAbort, { once: true });

  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let keepAlive: NodeJS.Timeout | undefined;

  const base = {
    id: options.id,
    object: "chat.completion.chunk",
    created: options.created,
    model: options.model,
  };
  const usageNull = options.includeUsage ? { usage: null } : {};

  const write = (text: string) => {
    if (closed || !out) return;
    try {
      out.enqueue(encoder.encode(text));
      keepAlive?.refresh();
    } catch {
      closed = true;
    }
  };
  const send = (payload: unknown) => write(`data: ${JSON.stringify(payload)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: object = {}) =>
    send({
      ...base,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usageNull,
      ...extra,
    });
  const finish = () => {
    if (keepAlive) clearTimeout(keepAlive);
    options.signal.removeEventListener("abort", onClientAbort);
    if (closed) return;
    closed = true;
    try {
      out?.close();
    } catch {
      // already closed by the consumer
    }
  };

  const run = async () => {
    let result: DeepRecallResult | undefined;
    let streamed = "";
    try {
      for await (const event of engine.stream(chat.query, { ...chat.options, signal: controller.signal })) {
        if (controller.signal.aborted) break;
        if (event.type === "answer-delta") {
          if (event.text) {
            streamed += event.text;
            chunk({ content: event.text });
          }
        } else if (event.type === "result") {
          result = event.result;
        } else if (options.reasoning) {
          const line = progressLine(event);
          if (line) chunk({ reasoning_content: line });
        }
      }
      if (controller.signal.aborted) return;
      if (!result) throw new Error("engine stream ended without a result");
      // Send whatever part of the final answer was not streamed as deltas.
      if (result.answer.startsWith(streamed)) {
        const rest = result.answer.slice(streamed.length);
        if (rest) chunk({ content: rest });
      } else {
        options.log({
          level: "warn",
          message: "streamed answer deltas differ from the final answer",
          requestId: options.requestId,
        });
      }
      const extension = { deeprecall: extensionJson(result) };
      const reason = finishReason(result);
      if (options.includeUsage) {
        chunk({}, reason);
        send({ ...base, system_fingerprint: null, choices: [], usage: usageJson(result), ...extension });
      } else {
        chunk({}, reason, extension);
      }
      write("data: [DONE]\n\n");
    } catch (error) {
      if (controller.signal.aborted) return; // the client left; nobody to tell
      const apiError = toApiError(error);
      options.log({
        level: apiError.status >= 500 ? "error" : "warn",
        message: "chat completion stream failed",
        requestId: options.requestId,
        status: apiError.status,
        error,
      });
      send(apiError.toBody());
      write("data: [DONE]\n\n");
    } finally {
      finish();
    }
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      out = c;
      chunk({ role: "assistant", content: "" });
      if (options.keepAliveMs > 0) {
        // One timer, pushed back by every write (see `write`), so it only fires after a
        // silence of keepAliveMs; the comment it writes re-arms it the same way.
        keepAlive = setTimeout(() => write(": keep-alive\n\n"), options.keepAliveMs);
      }
      void run();
    },
    cancel(reason) {
      closed = true;
      controller.abort(reason ?? new Error("client disconnected"));
      finish();
    },
  });

  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
