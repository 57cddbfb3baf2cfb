import type { DeepRecallExtension, TokenUsage, UrlCitation } from "./api-types.ts";
import type { ChatStreamEvent } from "./chat-events.ts";
import type { AskSettings } from "./request.ts";
import { applyTrace, emptyTrace, type TraceView } from "./trace.ts";

/** One question and its answer, as it streams in and after. */
export interface Exchange {
  id: number;
  question: string;
  settings: AskSettings;
  /** The request body exactly as sent (what "Copy as curl" copies). */
  request: Record<string, unknown>;
  /** Answer text (markdown) received so far. */
  answer: string;
  /** The latest progress line (`delta.reasoning_content`). */
  progress: string;
  annotations: UrlCitation[];
  extension: DeepRecallExtension | null;
  usage: TokenUsage | null;
  finishReason: string | null;
  trace: TraceView;
  /** streaming → done | stopped (Stop pressed) | error (the message in `error`). */
  status: "streaming" | "done" | "stopped" | "error";
  error: string | null;
  /** Date.now() when sent. */
  startedAt: number;
}

export function newExchange(
  id: number,
  question: string,
  settings: AskSettings,
  request: Record<string, unknown>,
  startedAt: number,
): Exchange {
  return {
    id,
    question,
    settings,
    request,
    answer: "",
    progress: "",
    annotations: [],
    extension: null,
    usage: null,
    finishReason: null,
    trace: emptyTrace,
    status: "streaming",
    error: null,
    startedAt,
  };
}

/** Applies one stream event to the exchange (immutably). */
export function applyStreamEvent(ex: Exchange, event: ChatStreamEvent): Exchange {
  switch (event.kind) {
    case "content":
      return { ...ex, answer: ex.answer + event.text };
    case "reasoning": {
      const line = event.text.trim().split("\n").filter(Boolean).at(-1);
      return line ? { ...ex, progress: line } : ex;
    }
    case "annotations":
      return { ...ex, annotations: [...ex.annotations, ...event.annotations] };
    case "finish":
      return { ...ex, finishReason: event.reason };
    case "extension":
      return {
        ...ex,
        extension: event.deeprecall,
        trace: event.deeprecall.budget_status
          ? { ...ex.trace, budget: event.deeprecall.budget_status }
          : ex.trace,
      };
    case "usage":
      return { ...ex, usage: event.usage };
    case "trace":
      return { ...ex, trace: applyTrace(ex.trace, event.event) };
    case "error":
      return { ...ex, status: "error", error: event.message };
    case "done":
      return ex.status === "streaming" ? { ...ex, status: "done" } : ex;
  }
}

/**
 * Ends an exchange whose stream stopped without `[DONE]`: Stop pressed (`stopped`), a network
 * failure (`error` with its message), or a body that just ended (`done` when an answer came,
 * else an error saying the stream broke off).
 */
export function endExchange(ex: Exchange, how: { stopped?: boolean; error?: string }): Exchange {
  if (ex.status !== "streaming") return ex;
  if (how.stopped) return { ...ex, status: "stopped" };
  if (how.error) return { ...ex, status: "error", error: how.error };
  if (ex.finishReason !== null) return { ...ex, status: "done" };
  return { ...ex, status: "error", error: "The answer stream ended before the answer was complete." };
}

/** The earlier turns to send with a follow-up: each finished question with its answer. */
export function historyOf(exchanges: Exchange[]): Array<{ role: "user" | "assistant"; content: string }> {
  return exchanges.flatMap((ex) =>
    ex.status === "done" && ex.answer.trim() !== ""
      ? [
          { role: "user" as const, content: ex.question },
          { role: "assistant" as const, content: ex.answer },
        ]
      : [],
  );
}
