/**
 * The one request → engine → response pipeline that chat completions, responses and completions
 * share. An endpoint turns its request into a {@link Turn}; the pipeline runs the engine (whole,
 * or as live events), applies `stop`, shapes the answer into JSON or a forced tool call with one
 * structured-output call, and sums what the request spent. The endpoint only formats.
 */
import {
  DEFAULT_MAX_TIME_SECONDS,
  type DeepRecallEngineApi,
  type DeepRecallResult,
  describeEngineEvent,
  type EngineEvent,
  finishReasonOf,
  type QueryBudget,
  type QueryOptions,
  type StructuredOutputApi,
  type TokenUsage,
  tighterBudget,
  type UsageSummary,
} from "@deeprecall/core";
import { addTokens, randomId } from "./convert.ts";
import { ApiError } from "./errors.ts";
import { validateJson } from "./json-schema.ts";
import type { Sampling } from "./params.ts";

/** What the answer must become: JSON (a schema, or any object) or a call of one function. */
export type Shape =
  | {
      kind: "json";
      schema: Record<string, unknown> | null;
      name?: string;
      description?: string;
      /** `strict: true`: the JSON must match the schema (else a 502); otherwise the schema guides. */
      strict?: boolean;
    }
  | { kind: "tool"; name: string; schema: Record<string, unknown>; description?: string };

export interface Turn {
  query: string;
  options: QueryOptions;
  stop: string[];
  shape: Shape | null;
  sampling: Sampling;
  /** Stream the engine's own events too (`trace` turn events), for live trace views. */
  trace?: boolean;
}

/**
 * Tokens spent: input, output, total, and the cache-read (`cachedInputTokens`) and reasoning
 * (`reasoningTokens`) parts only when the provider reported them (absent = unknown).
 */
export type Tokens = TokenUsage;

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Outcome {
  result: DeepRecallResult;
  /** The content: the answer (cut at a stop sequence) or the JSON; null for a tool call. */
  text: string | null;
  toolCall: ToolCall | null;
  finishReason: "stop" | "length" | "tool_calls";
  /** Tokens this request spent: the run's (0 on a cache hit) plus the structured-output call's. */
  usage: Tokens;
}

export type TurnEvent =
  | { type: "reasoning"; text: string }
  | { type: "text"; text: string }
  /** An engine event as it happens (only when the turn asks for the `trace`). */
  | { type: "trace"; event: EngineEvent }
  | { type: "done"; outcome: Outcome };

type Engine = DeepRecallEngineApi & Partial<StructuredOutputApi>;

/** Fails before the engine runs when the turn needs what the engine cannot do. */
export function checkTurn(engine: Engine, turn: Turn, param: string): void {
  if (turn.shape && typeof engine.structure !== "function") {
    throw new ApiError(
      400,
      "This server's engine cannot make structured-output calls, so JSON output and forced tool calls are not available.",
      { param, code: "unsupported_value" },
    );
  }
}

/**
 * The budget a request runs under: the engine's limits and `ceiling` (`createApp`'s `budget`),
 * the tighter of each, with {@link DEFAULT_MAX_TIME_SECONDS} when neither sets a time limit;
 * then lowered, never raised, by the request's own budget. (The engine alone would let a query's
 * budget replace its limits: right for a library caller, not for an HTTP client.)
 */
export function requestBudget(
  engine: Pick<DeepRecallEngineApi, "budget">,
  ceiling: QueryBudget | undefined,
  requested: QueryBudget | undefined,
): QueryBudget {
  const limits = tighterBudget(engine.budget, ceiling) ?? {};
  limits.maxTimeSeconds ??= DEFAULT_MAX_TIME_SECONDS;
  return tighterBudget(limits, requested)!;
}

function queryOptions(
  engine: Engine,
  turn: Turn,
  signal: AbortSignal,
  ceiling: QueryBudget | undefined,
): QueryOptions {
  const options: QueryOptions = {
    ...turn.options,
    budget: requestBudget(engine, ceiling, turn.options.budget),
    signal,
  };
  if (turn.sampling.temperature !== undefined) options.temperature = turn.sampling.temperature;
  if (turn.sampling.topP !== undefined) options.topP = turn.sampling.topP;
  if (turn.sampling.seed !== undefined) options.seed = turn.sampling.seed;
  if (turn.sampling.maxOutputTokens !== undefined) options.maxOutputTokens = turn.sampling.maxOutputTokens;
  return options;
}

/** Runs a turn to the end, under {@link requestBudget} (`ceiling`: `createApp`'s `budget`). */
export async function runTurn(
  engine: Engine,
  turn: Turn,
  signal: AbortSignal,
  ceiling: QueryBudget | undefined,
): Promise<Outcome> {
  const result = await engine.query(turn.query, queryOptions(engine, turn, signal, ceiling));
  if (turn.shape) return shapeOutcome(engine, turn, result, signal);
  const stop = new StopFilter(turn.stop);
  const text = stop.push(result.answer) + stop.flush();
  return { result, text, toolCall: null, finishReason: finishReason(result), usage: tokens(result.usage) };
}

/**
 * Runs a turn as live events: reasoning progress lines (when `reasoning`), answer text as it is
 * produced (held back only as far as a stop sequence could still match), then `done`. With a
 * shape, the answer is not streamed: the shaped JSON (or the tool call) comes with `done`, and
 * JSON text also as one `text` event. Budget as for {@link runTurn}.
 */
export async function* streamTurn(
  engine: Engine,
  turn: Turn,
  signal: AbortSignal,
  reasoning: boolean,
  ceiling: QueryBudget | undefined,
): AsyncGenerator<TurnEvent> {
  const stop = new StopFilter(turn.stop);
  let result: DeepRecallResult | undefined;
  let streamed = "";
  for await (const event of engine.stream(turn.query, queryOptions(engine, turn, signal, ceiling))) {
    if (signal.aborted) return;
    if (event.type === "answer-delta") {
      if (!event.text || turn.shape) continue;
      streamed += event.text;
      const text = stop.push(event.text);
      if (text) yield { type: "text", text };
    } else if (event.type === "result") {
      result = event.result;
    } else {
      if (turn.trace) yield { type: "trace", event };
      if (reasoning) {
        const line = describeEngineEvent(event);
        if (line) yield { type: "reasoning", text: line };
      }
    }
  }
  if (signal.aborted) return;
  if (!result) throw new Error("engine stream ended without a result");
  if (turn.shape) {
    const outcome = await shapeOutcome(engine, turn, result, signal);
    if (outcome.text) yield { type: "text", text: outcome.text };
    yield { type: "done", outcome };
    return;
  }
  // Whatever part of the final answer was not streamed as deltas.
  const rest = result.answer.startsWith(streamed) ? result.answer.slice(streamed.length) : "";
  const text = stop.push(rest) + stop.flush();
  if (text) yield { type: "text", text };
  yield {
    type: "done",
    outcome: {
      result,
      text: stop.output,
      toolCall: null,
      finishReason: finishReason(result),
      usage: tokens(result.usage),
    },
  };
}

async function shapeOutcome(
  engine: Engine,
  turn: Turn,
  result: DeepRecallResult,
  signal: AbortSignal,
): Promise<Outcome> {
  const shape = turn.shape!;
  const schema = shape.schema;
  const shaped = await engine.structure!({
    question: turn.query,
    answer: result.answer,
    schema,
    ...(shape.name ? { name: shape.name } : {}),
    ...(shape.description ? { description: shape.description } : {}),
    // Core puts the schema in the prompt as well (see its schemaInstruction).
    ...(turn.options.instructions ? { instructions: turn.options.instructions } : {}),
    ...(schema ? { validate: (value: unknown) => validateJson(value, schema)[0] ?? null } : {}),
    // OpenAI's non-strict json_schema guides the model without guaranteeing a match: after the
    // retry, what the model wrote is the answer (a strict one, or a tool call, must match).
    ...(shape.kind === "json" && shape.strict !== true ? { lenient: true } : {}),
    ...turn.sampling,
    signal,
  });
  const json = JSON.stringify(shaped.value);
  const usage = addTokens(tokens(result.usage), tokens(shaped.usage));
  if (shape.kind === "tool") {
    return {
      result,
      text: null,
      toolCall: { id: callId(), name: shape.name, arguments: json },
      finishReason: "tool_calls",
      usage,
    };
  }
  // The shaped JSON is whole and validated even when a budget ended the run (that is reported in
  // `deeprecall.budget_status`): "length" would make clients' `parse()` discard it.
  return { result, text: json, toolCall: null, finishReason: "stop", usage };
}

/**
 * The OpenAI `finish_reason` of a text answer: "length" when a budget or limit ended the run
 * instead of the model's own answer (the answer is then best-effort), or when the model's output
 * was cut at the output-token cap (`max_tokens`) while it wrote the answer (`result.truncated`);
 * else "stop". (A shaped answer, JSON or a tool call, is whole once the structured-output call
 * returned it: "stop" or "tool_calls" whatever ended the run.)
 */
export function finishReason(result: DeepRecallResult): "stop" | "length" {
  // Engines implementing DeepRecallEngineApi by hand may leave out the budget status.
  if (!result.budgetStatus) return result.truncated ? "length" : "stop";
  return finishReasonOf(result);
}

export function tokens(usage: Partial<UsageSummary> | undefined): Tokens {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage?.totalTokens ?? inputTokens + outputTokens,
    ...(typeof usage?.cachedInputTokens === "number" ? { cachedInputTokens: usage.cachedInputTokens } : {}),
    ...(typeof usage?.reasoningTokens === "number" ? { reasoningTokens: usage.reasoningTokens } : {}),
  };
}

function callId(): string {
  return randomId("call_", 24);
}

/**
 * Applies `stop` to text that arrives in pieces: passes text through, holding back only a tail
 * that could still be the start of a stop sequence; at the first full match everything from the
 * sequence on is dropped, and so is everything after.
 */
export class StopFilter {
  readonly #stops: string[];
  #pending = "";
  #stopped = false;
  /** Everything let through so far. */
  output = "";

  constructor(stops: string[]) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  push(text: string): string {
    if (this.#stopped) return "";
    if (this.#stops.length === 0) return this.#emit(text);
    const buffer = this.#pending + text;
    let cut = -1;
    for (const s of this.#stops) {
      const at = buffer.indexOf(s);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.#stopped = true;
      this.#pending = "";
      return this.#emit(buffer.slice(0, cut));
    }
    // Hold back the longest tail that is a proper prefix of some stop sequence.
    let hold = 0;
    for (const s of this.#stops) {
      for (let n = Math.min(s.length - 1, buffer.length); n > hold; n--) {
        if (buffer.endsWith(s.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    this.#pending = buffer.slice(buffer.length - hold);
    return this.#emit(buffer.slice(0, buffer.length - hold));
  }

  flush(): string {
    const rest = this.#stopped ? "" : this.#pending;
    this.#pending = "";
    return this.#emit(rest);
  }

  #emit(text: string): string {
    this.output += text;
    return text;
  }
}
