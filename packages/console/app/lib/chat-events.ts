import type { ChatChunk, DeepRecallExtension, TokenUsage, TraceEvent, UrlCitation } from "./api-types.ts";
import type { SseMessage } from "./sse.ts";

/** The SSE event name of live trace events. */
export const TRACE_EVENT = "deeprecall.trace";

/** What one SSE message of a chat completion stream means to the console. */
export type ChatStreamEvent =
  | { kind: "content"; text: string }
  | { kind: "reasoning"; text: string }
  | { kind: "annotations"; annotations: UrlCitation[] }
  | { kind: "finish"; reason: string }
  | { kind: "extension"; deeprecall: DeepRecallExtension }
  | { kind: "usage"; usage: TokenUsage }
  | { kind: "trace"; event: TraceEvent }
  | { kind: "error"; message: string }
  | { kind: "done" };

/**
 * Turns one SSE message into the events it carries, in the order a reader should apply them (a
 * chunk can carry content and the `deeprecall` extension at once). Unknown or malformed events
 * give nothing rather than failing the stream: a newer server may send more.
 */
export function chatStreamEvents(message: SseMessage): ChatStreamEvent[] {
  if (message.data === "[DONE]") return [{ kind: "done" }];
  let json: unknown;
  try {
    json = JSON.parse(message.data);
  } catch {
    return [];
  }
  if (typeof json !== "object" || json === null) return [];
  if (message.event === TRACE_EVENT) {
    const type = (json as { type?: unknown }).type;
    return typeof type === "string" ? [{ kind: "trace", event: json as TraceEvent }] : [];
  }
  if (message.event !== undefined && message.event !== "message") return [];
  const error = (json as { error?: { message?: unknown } }).error;
  if (error && typeof error === "object") {
    const text = typeof error.message === "string" ? error.message : "The server reported an error.";
    return [{ kind: "error", message: text }];
  }
  const chunk = json as ChatChunk;
  const out: ChatStreamEvent[] = [];
  const choice = chunk.choices?.[0];
  const delta = choice?.delta;
  if (typeof delta?.reasoning_content === "string" && delta.reasoning_content !== "") {
    out.push({ kind: "reasoning", text: delta.reasoning_content });
  }
  if (typeof delta?.content === "string" && delta.content !== "")
    out.push({ kind: "content", text: delta.content });
  if (Array.isArray(delta?.annotations) && delta.annotations.length > 0) {
    out.push({ kind: "annotations", annotations: delta.annotations });
  }
  if (typeof choice?.finish_reason === "string") out.push({ kind: "finish", reason: choice.finish_reason });
  if (chunk.deeprecall && typeof chunk.deeprecall === "object") {
    out.push({ kind: "extension", deeprecall: chunk.deeprecall });
  }
  if (chunk.usage && typeof chunk.usage === "object") out.push({ kind: "usage", usage: chunk.usage });
  return out;
}
