/**
 * The live trace of a run as JSON for `event: deeprecall.trace` SSE events (chat completions
 * with `deeprecall.trace: true`): what the web console draws while the engine works. Field names
 * follow the rest of the API (snake_case, `time_ms`, `budget_status` as in the `deeprecall`
 * extension object).
 */
import type { EngineEvent } from "@deeprecall/core";
import { budgetStatusJson, usageJson } from "./convert.ts";

/** The SSE event name trace events are sent under. */
export const TRACE_EVENT = "deeprecall.trace";

/**
 * One engine event as a trace event, with `elapsed_ms` (ms since the request started), or
 * undefined for what the response carries anyway (answer text, the result).
 *
 * Shapes: `query-start {run_id, query}`, `iteration-start {iteration}`, `model-text {iteration,
 * text}`, `code {iteration, index, code}`, `code-output {iteration, index, output, error}`,
 * `search {iteration, query, top_k, hits: [{id, score}], time_ms, cached}` (iteration 0 is the
 * grounding search before the first turn), `sub-llm {iteration, depth, prompt, response,
 * time_ms, error}`, `iteration-complete {iteration, time_ms, usage, final, budget_status}`,
 * `budget-warning {message, budget_status}`.
 */
export function traceEventJson(event: EngineEvent, elapsedMs: number): Record<string, unknown> | undefined {
  const base = { type: event.type, elapsed_ms: Math.round(elapsedMs) };
  switch (event.type) {
    case "query-start":
      return { ...base, run_id: event.runId, query: event.query };
    case "iteration-start":
      return { ...base, iteration: event.iteration };
    case "model-text":
      return { ...base, iteration: event.iteration, text: event.text };
    case "code":
      return { ...base, iteration: event.iteration, index: event.index, code: event.code };
    case "code-output":
      return {
        ...base,
        iteration: event.iteration,
        index: event.index,
        output: event.output,
        error: event.error ?? null,
      };
    case "search": {
      const s = event.search;
      return {
        ...base,
        iteration: event.iteration,
        query: s.query,
        top_k: s.topK,
        hits: s.ids.map((id, i) => ({ id, score: s.scores?.[i] ?? null })),
        time_ms: s.timeMs,
        cached: s.cached === true,
      };
    }
    case "sub-llm":
      return {
        ...base,
        iteration: event.iteration,
        depth: event.call.depth,
        prompt: event.call.prompt,
        response: event.call.response,
        time_ms: event.call.timeMs,
        error: event.call.error ?? null,
      };
    case "iteration-complete": {
      const step = event.step;
      return {
        ...base,
        iteration: step.iteration,
        time_ms: step.timeMs,
        usage: usageJson(step.usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 }),
        final: step.final === true,
        budget_status: budgetStatusJson(event.budget),
      };
    }
    case "budget-warning":
      return { ...base, message: event.message, budget_status: budgetStatusJson(event.status) };
    default:
      return undefined;
  }
}
