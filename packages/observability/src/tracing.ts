import { createRequire } from "node:module";
import type {
  BudgetStatus,
  CallbackContext,
  DeepRecallCallbacks,
  DeepRecallResult,
  QueryOptions,
  ReasoningStep,
  SearchRecord,
} from "@deeprecall/core";
import { getErrorMessage, redactSecrets } from "@deeprecall/core";
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string })
  .version;
export const TRACER_NAME = "@deeprecall/observability";

export interface OpenTelemetryCallbackOptions {
  /** Where spans go. Default: `trace.getTracer("@deeprecall/observability")` of the global provider. */
  tracer?: Tracer;
  /**
   * Record user content (the query, search queries, model-written code) as span attributes.
   * Default `false`: only sizes and counts, since traces often leave the trust boundary.
   */
  captureContent?: boolean;
}

interface IterationState {
  span: Span;
  ctx: Context;
  startedAt: number;
}

interface RunState {
  span: Span;
  ctx: Context;
  iteration: IterationState | null;
}

/**
 * Traces DeepRecall runs with OpenTelemetry. Register it on the engine
 * (`callbacks: [new OpenTelemetryCallback()]`) and it produces:
 *
 * - `deeprecall.query` per run (child of the active span, e.g. the HTTP request's), with token
 *   counts, cost, model calls, sources, confidence and the final budget status;
 * - `deeprecall.iteration` per REPL iteration, with that turn's tokens;
 * - `deeprecall.search` per search (hits, topK, cache hit, duration);
 * - `deeprecall.model_call` per iteration (the root model's turn, `gen_ai.*` token attributes),
 *   `deeprecall.sandbox_block` per executed code block and `deeprecall.sub_llm` per sub-LLM call.
 *
 * The callbacks report model calls, code blocks and sub-LLM calls only when an iteration ends,
 * so those three spans are placed from what is known: a model call runs from the iteration's
 * start to its first search (or the iteration's end); code blocks cover the rest of the
 * iteration; a sub-LLM call ends with its iteration and lasts its measured time. They carry
 * `deeprecall.timing = "derived"`. Budget warnings become span events; failures set the
 * query span's status to ERROR with a redacted exception.
 */
export class OpenTelemetryCallback implements DeepRecallCallbacks {
  readonly #tracer: Tracer;
  readonly #content: boolean;
  readonly #runs = new Map<string, RunState>();

  constructor(options: OpenTelemetryCallbackOptions = {}) {
    this.#tracer = options.tracer ?? trace.getTracer(TRACER_NAME, VERSION);
    this.#content = options.captureContent ?? false;
  }

  /** Runs started and not yet ended (for tests and leak checks). */
  get openRuns(): number {
    return this.#runs.size;
  }

  onQueryStart(ctx: CallbackContext, options: QueryOptions): void {
    this.#endRun(ctx.runId); // a reused run id: close the stale one rather than leak it
    const attributes: Attributes = {
      "deeprecall.run_id": ctx.runId,
      "deeprecall.query.length": ctx.query.length,
    };
    if (this.#content) attributes["deeprecall.query"] = ctx.query;
    if (options.topK !== undefined) attributes["deeprecall.top_k"] = options.topK;
    if (options.filters !== undefined) attributes["deeprecall.filtered"] = true;
    for (const [limit, value] of Object.entries(options.budget ?? {})) {
      if (typeof value === "number") attributes[`deeprecall.budget.${snake(limit)}`] = value;
    }
    const parent = context.active();
    const span = this.#tracer.startSpan("deeprecall.query", { kind: SpanKind.INTERNAL, attributes }, parent);
    this.#runs.set(ctx.runId, { span, ctx: trace.setSpan(parent, span), iteration: null });
  }

  onIterationStart(ctx: CallbackContext, iteration: number): void {
    const run = this.#runs.get(ctx.runId);
    if (!run) return;
    run.iteration?.span.end();
    const startedAt = Date.now();
    const span = this.#tracer.startSpan(
      "deeprecall.iteration",
      { attributes: { "deeprecall.iteration": iteration }, startTime: startedAt },
      run.ctx,
    );
    run.iteration = { span, ctx: trace.setSpan(run.ctx, span), startedAt };
  }

  onSearch(ctx: CallbackContext, search: SearchRecord): void {
    const run = this.#runs.get(ctx.runId);
    if (!run) return;
    const end = Date.now();
    const attributes: Attributes = {
      "deeprecall.search.top_k": search.topK,
      "deeprecall.search.hits": search.hits,
      "deeprecall.search.cached": search.cached === true,
      "deeprecall.search.time_ms": search.timeMs,
      "deeprecall.search.filtered": search.filters !== undefined,
      "deeprecall.search.query.length": search.query.length,
    };
    if (this.#content) attributes["deeprecall.search.query"] = search.query;
    const span = this.#tracer.startSpan(
      "deeprecall.search",
      { kind: SpanKind.CLIENT, attributes, startTime: end - Math.max(0, search.timeMs) },
      (run.iteration ?? run).ctx,
    );
    span.end(end);
  }

  onIterationComplete(ctx: CallbackContext, step: ReasoningStep): void {
    const run = this.#runs.get(ctx.runId);
    const iteration = run?.iteration;
    if (!run || !iteration) return;
    const end = Date.now();
    const start = iteration.startedAt;
    const firstSearchStart = step.searches.length > 0 ? end - sumTime(step.searches) : end;
    const modelEnd = Math.max(start, Math.min(end, firstSearchStart));
    const model = this.#tracer.startSpan(
      "deeprecall.model_call",
      {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.usage.input_tokens": step.usage.inputTokens,
          "gen_ai.usage.output_tokens": step.usage.outputTokens,
          "deeprecall.usage.total_tokens": step.usage.totalTokens,
          "deeprecall.timing": "derived",
        },
      },
      iteration.ctx,
    );
    model.end(modelEnd);
    step.code.forEach((code, index) => {
      const attributes: Attributes = {
        "deeprecall.sandbox.block_index": index,
        "deeprecall.sandbox.code_length": code.length,
        "deeprecall.timing": "derived",
      };
      if (this.#content) attributes["deeprecall.sandbox.code"] = code;
      this.#tracer
        .startSpan("deeprecall.sandbox_block", { startTime: modelEnd, attributes }, iteration.ctx)
        .end(end);
    });
    for (const call of step.subLLMCalls) {
      const span = this.#tracer.startSpan(
        "deeprecall.sub_llm",
        {
          kind: SpanKind.CLIENT,
          startTime: end - Math.max(0, call.timeMs),
          attributes: {
            "deeprecall.sub_llm.depth": call.depth,
            "deeprecall.sub_llm.prompt_length": call.prompt.length,
            "deeprecall.timing": "derived",
          },
        },
        iteration.ctx,
      );
      if (call.error) span.setStatus({ code: SpanStatusCode.ERROR, message: redactSecrets(call.error) });
      span.end(end);
    }
    iteration.span.setAttributes({
      "gen_ai.usage.input_tokens": step.usage.inputTokens,
      "gen_ai.usage.output_tokens": step.usage.outputTokens,
      "deeprecall.usage.total_tokens": step.usage.totalTokens,
      "deeprecall.iteration.code_blocks": step.code.length,
      "deeprecall.iteration.searches": step.searches.length,
      "deeprecall.iteration.sub_llm_calls": step.subLLMCalls.length,
      "deeprecall.iteration.final": step.final === true,
    });
    iteration.span.end(end);
    run.iteration = null;
  }

  onBudgetWarning(ctx: CallbackContext, status: BudgetStatus, message: string): void {
    this.#runs.get(ctx.runId)?.span.addEvent("deeprecall.budget_warning", {
      ...budgetAttributes(status),
      "deeprecall.message": redactSecrets(message),
    });
  }

  onError(ctx: CallbackContext, error: unknown): void {
    const run = this.#runs.get(ctx.runId);
    if (!run) return;
    const name = error instanceof Error ? error.name : "Error";
    const message = redactSecrets(getErrorMessage(error));
    run.span.recordException({ name, message });
    run.span.setStatus({ code: SpanStatusCode.ERROR, message });
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string") run.span.setAttribute("deeprecall.error.code", code);
    this.#endRun(ctx.runId);
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): void {
    const run = this.#runs.get(ctx.runId);
    if (!run) return;
    const usage = result.usage;
    const attributes: Attributes = {
      "gen_ai.usage.input_tokens": usage.inputTokens,
      "gen_ai.usage.output_tokens": usage.outputTokens,
      "deeprecall.usage.total_tokens": usage.totalTokens,
      "deeprecall.usage.llm_calls": usage.calls,
      "deeprecall.sources": result.sources.length,
      "deeprecall.iterations": result.reasoningTrace.length,
      "deeprecall.execution_time_ms": result.executionTimeMs,
      ...budgetAttributes(result.budgetStatus),
    };
    if (typeof usage.costUsd === "number") attributes["deeprecall.usage.cost_usd"] = usage.costUsd;
    if (result.confidence !== null) attributes["deeprecall.confidence"] = result.confidence;
    if (result.error) attributes["deeprecall.error"] = redactSecrets(result.error);
    run.span.setAttributes(attributes);
    this.#endRun(ctx.runId);
  }

  #endRun(runId: string): void {
    const run = this.#runs.get(runId);
    if (!run) return;
    this.#runs.delete(runId);
    run.iteration?.span.end();
    run.span.end();
  }
}

function budgetAttributes(status: BudgetStatus | undefined): Attributes {
  if (!status) return {};
  const out: Attributes = {
    "deeprecall.budget.iterations": status.iterations,
    "deeprecall.budget.search_calls": status.searchCalls,
    "deeprecall.budget.tokens": status.tokens,
    "deeprecall.budget.elapsed_seconds": status.elapsedSeconds,
    "deeprecall.budget.exceeded": status.exceeded,
  };
  if (status.utilization !== null) out["deeprecall.budget.utilization"] = status.utilization;
  if (status.exceededLimit) out["deeprecall.budget.exceeded_limit"] = status.exceededLimit;
  if (status.costUsd !== null) out["deeprecall.budget.cost_usd"] = status.costUsd;
  return out;
}

function sumTime(searches: SearchRecord[]): number {
  return searches.reduce((sum, s) => sum + Math.max(0, s.timeMs), 0);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
