import type { BudgetStatus, TokenUsage, TraceEvent } from "./api-types.ts";

/** A search the engine ran: `hits` best first, `timeMs` in ms, `elapsedMs` since the request started. */
export interface SearchView {
  kind: "search";
  query: string;
  topK: number;
  hits: Array<{ id: string; score: number | null }>;
  timeMs: number;
  cached: boolean;
  elapsedMs: number;
}

/** One sub-LLM call (`llmQuery`), at the recursion `depth` the engine reports. */
export interface SubLlmView {
  kind: "sub-llm";
  depth: number;
  prompt: string;
  response: string;
  timeMs: number;
  error: string | null;
  elapsedMs: number;
}

/** A code block the model wrote, with what running it printed once that is known. */
export interface CodeView {
  kind: "code";
  index: number;
  code: string;
  /** undefined while the block runs. */
  output?: string;
  error?: string | null;
  elapsedMs: number;
}

export type TraceItem = CodeView | SearchView | SubLlmView;

/** One turn of the model: its reply, then code, searches and sub-calls in the order they happened. */
export interface IterationView {
  iteration: number;
  status: "running" | "complete";
  modelText?: string;
  items: TraceItem[];
  /** Wall time of the turn in ms, once complete. */
  timeMs?: number;
  usage?: TokenUsage;
  final: boolean;
  startedMs: number;
  /** An `iteration-start` announced it (the loop's turns are announced; the forced last call is not). */
  announced: boolean;
  /**
   * The one model call the engine makes after a limit, asking for the final answer: a step of
   * its own, not an iteration of the loop.
   */
  forced: boolean;
}

/** The whole live trace of one question, as the trace panel draws it. */
export interface TraceView {
  runId?: string;
  query?: string;
  /** The grounding search(es) the engine ran before the model's first turn (iteration 0). */
  grounding: SearchView[];
  iterations: IterationView[];
  /** The latest budget status any event carried. */
  budget: BudgetStatus | null;
  warnings: string[];
  /** Tokens of the completed iterations. */
  tokens: number;
  /** `elapsed_ms` of the latest event. */
  elapsedMs: number;
  events: number;
}

export const emptyTrace: TraceView = Object.freeze({
  grounding: [],
  iterations: [],
  budget: null,
  warnings: [],
  tokens: 0,
  elapsedMs: 0,
  events: 0,
}) as TraceView;

/**
 * Applies one trace event (immutably: the result shares unchanged parts with `state`). Events
 * of an iteration never announced still land in it (created on the spot), so a dropped
 * `iteration-start` costs nothing; unknown event types only advance the clock.
 */
export function applyTrace(state: TraceView, event: TraceEvent): TraceView {
  const next: TraceView = {
    ...state,
    events: state.events + 1,
    elapsedMs: Math.max(state.elapsedMs, typeof event.elapsed_ms === "number" ? event.elapsed_ms : 0),
  };
  const at = next.elapsedMs;
  switch (event.type) {
    case "query-start":
      return { ...next, runId: event.run_id, query: event.query };
    case "iteration-start":
      return withIteration(next, event.iteration, at, (it) => ({ ...it, announced: true }));
    case "model-text":
      return withIteration(next, event.iteration, at, (it) => ({ ...it, modelText: event.text }));
    case "code":
      return withIteration(next, event.iteration, at, (it) => ({
        ...it,
        items: [...it.items, { kind: "code", index: event.index, code: event.code, elapsedMs: at }],
      }));
    case "code-output":
      return withIteration(next, event.iteration, at, (it) => {
        const pos = it.items.findIndex((item) => item.kind === "code" && item.index === event.index);
        const done = { output: event.output, error: event.error ?? null };
        if (pos === -1) {
          // Output of a block never announced: show it with empty code rather than lose it.
          return {
            ...it,
            items: [...it.items, { kind: "code", index: event.index, code: "", elapsedMs: at, ...done }],
          };
        }
        const items = it.items.slice();
        items[pos] = { ...(items[pos] as CodeView), ...done };
        return { ...it, items };
      });
    case "search": {
      const search: SearchView = {
        kind: "search",
        query: event.query,
        topK: event.top_k,
        hits: Array.isArray(event.hits) ? event.hits : [],
        timeMs: event.time_ms,
        cached: event.cached === true,
        elapsedMs: at,
      };
      if (event.iteration <= 0) return { ...next, grounding: [...next.grounding, search] };
      return withIteration(next, event.iteration, at, (it) => ({ ...it, items: [...it.items, search] }));
    }
    case "sub-llm":
      return withIteration(next, event.iteration, at, (it) => ({
        ...it,
        items: [
          ...it.items,
          {
            kind: "sub-llm",
            depth: event.depth,
            prompt: event.prompt,
            response: event.response,
            timeMs: event.time_ms,
            error: event.error ?? null,
            elapsedMs: at,
          },
        ],
      }));
    case "iteration-complete": {
      // A final step nobody announced, after the budget ran out: the forced answer.
      const limited = event.budget_status?.exceeded === true || next.budget?.exceeded === true;
      const updated = withIteration(next, event.iteration, at, (it) => ({
        ...it,
        status: "complete",
        timeMs: event.time_ms,
        usage: event.usage,
        final: event.final === true,
        forced: event.final === true && !it.announced && limited,
      }));
      return {
        ...updated,
        tokens: next.tokens + (event.usage?.total_tokens ?? 0),
        budget: event.budget_status ?? next.budget,
      };
    }
    case "budget-warning":
      return {
        ...next,
        warnings: [...next.warnings, event.message],
        budget: event.budget_status ?? next.budget,
      };
    default:
      return next;
  }
}

/** Applies `change` to iteration `n`, creating it (running, started at `at`) when it is new. */
function withIteration(
  state: TraceView,
  n: number,
  at: number,
  change: (it: IterationView) => IterationView,
): TraceView {
  const pos = state.iterations.findIndex((it) => it.iteration === n);
  const iterations = state.iterations.slice();
  if (pos === -1) {
    iterations.push(
      change({
        iteration: n,
        status: "running",
        items: [],
        final: false,
        startedMs: at,
        announced: false,
        forced: false,
      }),
    );
    iterations.sort((a, b) => a.iteration - b.iteration);
  } else {
    iterations[pos] = change(iterations[pos]!);
  }
  return { ...state, iterations };
}

/** Every search of the trace in the order it ran: the grounding search first. */
export function allSearches(trace: TraceView): SearchView[] {
  return [
    ...trace.grounding,
    ...trace.iterations.flatMap((it) => it.items.filter((i): i is SearchView => i.kind === "search")),
  ];
}

/** The iterations of the loop: every step but the forced last answer after a limit. */
export function loopIterations(trace: TraceView): IterationView[] {
  return trace.iterations.filter((it) => !it.forced);
}
