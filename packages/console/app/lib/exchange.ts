import type { BudgetLimits, DeepRecallExtension, TokenUsage, UrlCitation } from "./api-types.ts";
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
  /** Date.now() when it ended (answer complete, stopped, failed); null while it runs. */
  endedAt: number | null;
  /**
   * The server's own limits for what this request leaves unset, as an earlier run reported them
   * (its `budget_status.limits`): the meter shows them before this run's first status arrives.
   */
  serverLimits: BudgetLimits;
}

export function newExchange(
  id: number,
  question: string,
  settings: AskSettings,
  request: Record<string, unknown>,
  startedAt: number,
  serverLimits: BudgetLimits = {},
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
    endedAt: null,
    serverLimits,
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
export function endExchange(
  exchange: Exchange,
  how: { stopped?: boolean; error?: string },
  now: number = Date.now(),
): Exchange {
  // The clock stops here even when `[DONE]` already ended the exchange.
  const ex = exchange.endedAt === null ? { ...exchange, endedAt: now } : exchange;
  if (ex.status !== "streaming") return ex;
  if (how.stopped) return { ...ex, status: "stopped" };
  if (how.error) return { ...ex, status: "error", error: how.error };
  if (ex.finishReason !== null) return { ...ex, status: "done" };
  return { ...ex, status: "error", error: "The answer stream ended before the answer was complete." };
}

/**
 * How long the run has taken, in ms: from the request's start by the local clock (`now` while
 * it runs, its end once over), and never less than the engine's own `elapsed_ms` — the events
 * only come now and then (none during a long model call), so alone they would lag behind.
 */
export function runElapsedMs(ex: Exchange, now: number): number {
  const end = ex.endedAt ?? (ex.status === "streaming" ? now : null);
  const local = end === null ? 0 : Math.max(0, end - ex.startedAt);
  return Math.max(ex.trace.elapsedMs, local);
}

/**
 * The server's limits for what a request leaves unset, as far as `ex` tells (its budget status,
 * else what it knew before): the next question starts its meter with them.
 */
export function serverLimitsOf(ex: Exchange): BudgetLimits {
  const reported = ex.trace.budget?.limits ?? {};
  const defaults: BudgetLimits = { ...ex.serverLimits };
  for (const [key, value] of Object.entries(reported) as Array<[keyof BudgetLimits, number | undefined]>) {
    if (value !== undefined && ex.settings.budget[key] === undefined) defaults[key] = value;
  }
  return defaults;
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
