import type { BudgetStatus, DeepRecallResult, QueryOptions, ReasoningStep, SearchRecord } from "../types.ts";
import { describeError } from "./serialize.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

/** Anything with a `write(text)`: `process.stderr`, a file stream, a test buffer. */
export interface TextSink {
  write(text: string): unknown;
}

export interface ConsoleCallbackOptions {
  /** Also print each step's code and REPL output, and every search's filters. Default false. */
  verbose?: boolean;
  /** Where lines go. Default `process.stderr` (stdout stays free for answers). */
  stream?: TextSink;
  /** Longest code/output excerpt printed in verbose mode, in characters. Default 800. */
  maxExcerptChars?: number;
}

function quote(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  return `${n} ${word}${/(s|sh|ch|x)$/.test(word) ? "es" : "s"}`;
}

function indent(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more chars)` : text;
  return cut
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}

/**
 * Prints human-readable progress lines, one per event, each prefixed with the run id so
 * concurrent queries can be told apart:
 *
 * ```
 * [deeprecall 3f2a9c1e] query "who founded it?"
 * [deeprecall 3f2a9c1e]   iteration 1
 * [deeprecall 3f2a9c1e]     search "founder" -> 3 hits (4 ms)
 * [deeprecall 3f2a9c1e]   iteration 1 done in 1.2 s: 1 code block, 1 search, 830 tokens
 * [deeprecall 3f2a9c1e] answered in 2.4 s: 3 sources, 2 model calls, 1,650 tokens
 * ```
 */
export class ConsoleCallback implements DeepRecallCallbacks {
  readonly verbose: boolean;
  readonly #stream: TextSink;
  readonly #maxExcerpt: number;

  constructor(options: ConsoleCallbackOptions = {}) {
    this.verbose = options.verbose ?? false;
    this.#stream = options.stream ?? process.stderr;
    this.#maxExcerpt = options.maxExcerptChars ?? 800;
  }

  #line(ctx: CallbackContext, text: string): void {
    this.#stream.write(`[deeprecall ${ctx.runId.slice(0, 8)}] ${text}\n`);
  }

  onQueryStart(ctx: CallbackContext, options: QueryOptions): void {
    const extras: string[] = [];
    if (options.topK !== undefined) extras.push(`topK ${options.topK}`);
    if (options.filters) extras.push("filtered");
    const limits = Object.entries(options.budget ?? {}).filter(([, v]) => v !== undefined);
    if (limits.length > 0) extras.push(`budget ${limits.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    this.#line(ctx, `query ${quote(ctx.query)}${extras.length ? ` (${extras.join(", ")})` : ""}`);
  }

  onIterationStart(ctx: CallbackContext, iteration: number): void {
    this.#line(ctx, `  iteration ${iteration}`);
  }

  onSearch(ctx: CallbackContext, search: SearchRecord): void {
    const filters = this.verbose && search.filters ? ` filters ${JSON.stringify(search.filters)}` : "";
    this.#line(
      ctx,
      `    search ${quote(search.query, 60)} topK ${search.topK}${filters} -> ${plural(search.hits, "hit")} (${seconds(search.timeMs)}${search.cached ? ", cached" : ""})`,
    );
  }

  onIterationComplete(ctx: CallbackContext, step: ReasoningStep): void {
    const parts = [
      plural(step.code.length, "code block"),
      plural(step.searches.length, "search"),
      `${step.usage.totalTokens.toLocaleString("en-US")} tokens`,
    ];
    if (step.subLLMCalls.length > 0) parts.push(plural(step.subLLMCalls.length, "sub-LLM call"));
    this.#line(
      ctx,
      `  iteration ${step.iteration} done in ${seconds(step.timeMs)}: ${parts.join(", ")}${step.final ? " (final)" : ""}`,
    );
    if (this.verbose) {
      step.code.forEach((code, index) => {
        this.#line(ctx, `    code #${index + 1}:\n${indent(code, this.#maxExcerpt)}`);
      });
      if (step.output) this.#line(ctx, `    output:\n${indent(step.output, this.#maxExcerpt)}`);
    }
  }

  onBudgetWarning(ctx: CallbackContext, _status: BudgetStatus, message: string): void {
    this.#line(ctx, `  budget warning: ${message}`);
  }

  onError(ctx: CallbackContext, error: unknown): void {
    const { name, message } = describeError(error);
    this.#line(ctx, `  error (${name}): ${message}`);
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): void {
    const cost = result.usage.costUsd !== undefined ? `, $${result.usage.costUsd.toFixed(4)}` : "";
    const summary = `${plural(result.sources.length, "source")}, ${plural(result.usage.calls, "model call")}, ${result.usage.totalTokens.toLocaleString("en-US")} tokens${cost}`;
    if (result.error) {
      this.#line(ctx, `stopped after ${seconds(result.executionTimeMs)} (${result.error}): ${summary}`);
    } else {
      this.#line(ctx, `answered in ${seconds(result.executionTimeMs)}: ${summary}`);
    }
    if (this.verbose) this.#line(ctx, `  answer: ${quote(result.answer, this.#maxExcerpt)}`);
  }
}
