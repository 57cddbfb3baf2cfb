import type { BudgetStatus, DeepRecallResult, EngineEvent, ReasoningStep } from "../types.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";

/**
 * An event of a run as the answer cache keeps it. `query-start` (its run id belongs to that run)
 * and `result` (a hit gets its own) are not kept. An `iteration-complete` whose step is one of
 * the result's `reasoningTrace` keeps only that step's index instead of a second copy of it.
 */
export type RecordedEvent =
  | Exclude<EngineEvent, { type: "query-start" | "result" }>
  | { type: "iteration-complete"; stepIndex: number; budget?: BudgetStatus };

/**
 * What the answer cache holds for one query: the result and the events its run emitted, the
 * events kept serialised (`serializeValue`): only `stream()` replays them, so a hit served by
 * `query()` neither decodes nor copies them. Read them with {@link recordedEvents}.
 */
export interface CachedAnswer {
  result: DeepRecallResult;
  events: string;
}

/**
 * Collects the events of one run for the answer cache. Adjacent `answer-delta` events are joined
 * (the text a person sees is the same; fewer, larger pieces are cheaper to keep and replay).
 */
export class EventRecorder {
  readonly #events: Array<Exclude<EngineEvent, { type: "query-start" | "result" }>> = [];

  record(event: EngineEvent): void {
    if (event.type === "query-start" || event.type === "result") return;
    const last = this.#events.at(-1);
    if (event.type === "answer-delta" && last?.type === "answer-delta") {
      this.#events[this.#events.length - 1] = { type: "answer-delta", text: last.text + event.text };
    } else {
      this.#events.push(event);
    }
  }

  /** The cache entry for `result`, the run these events came from. */
  entry(result: DeepRecallResult): CachedAnswer {
    const steps = result.reasoningTrace;
    const events = this.#events.map((event): RecordedEvent => {
      if (event.type !== "iteration-complete") return event;
      const stepIndex = steps.indexOf(event.step);
      if (stepIndex === -1) return event;
      return { type: "iteration-complete", stepIndex, ...(event.budget ? { budget: event.budget } : {}) };
    });
    return { result, events: serializeValue(events) };
  }
}

/** The events of a cached answer, decoded (an entry whose events do not decode replays none). */
export function recordedEvents(entry: CachedAnswer): RecordedEvent[] {
  try {
    const events = deserializeValue<unknown>(entry.events);
    return Array.isArray(events) ? (events as RecordedEvent[]) : [];
  } catch {
    return [];
  }
}

/** True for a value shaped like a {@link CachedAnswer} (anything else under its key is a miss). */
export function isCachedAnswer(value: unknown): value is CachedAnswer {
  if (typeof value !== "object" || value === null) return false;
  const { result, events } = value as Partial<CachedAnswer>;
  return (
    typeof result === "object" &&
    result !== null &&
    typeof result.answer === "string" &&
    Array.isArray(result.reasoningTrace) &&
    typeof events === "string"
  );
}

/**
 * The recorded events of a cached run, as `stream()` yields them again (without `query-start`
 * and `result`, which the caller adds). `steps` is the hit's `reasoningTrace`.
 */
export function* replayEvents(
  events: readonly RecordedEvent[],
  steps: readonly ReasoningStep[],
): Generator<EngineEvent> {
  for (const event of events) {
    if (event.type === "iteration-complete" && "stepIndex" in event) {
      const step = steps[event.stepIndex];
      if (step) yield { type: "iteration-complete", step, ...(event.budget ? { budget: event.budget } : {}) };
    } else {
      yield event as EngineEvent;
    }
  }
}
