/** Engine results → the snake_case JSON every endpoint shares (the `deeprecall` object, usage). */
import type {
  BudgetStatus,
  DeepRecallResult,
  MetadataFilter,
  ReasoningStep,
  SearchResult,
} from "@deeprecall/core";
import { validateFilter } from "@deeprecall/core";
import type { Tokens } from "./pipeline.ts";

export function checkFilters(filters: unknown, param: string): MetadataFilter {
  validateFilter(filters, param);
  return filters;
}

const LIMIT_NAMES: Record<string, string> = {
  maxIterations: "max_iterations",
  maxSearchCalls: "max_search_calls",
  maxTokens: "max_tokens",
  maxTimeSeconds: "max_time_seconds",
  maxCostUsd: "max_cost_usd",
  callTimeoutMs: "call_timeout_ms",
};

function snakeLimit(name: string | null): string | null {
  return name === null ? null : (LIMIT_NAMES[name] ?? name);
}

export function budgetStatusJson(status: BudgetStatus | undefined) {
  if (!status) return null;
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(status.limits ?? {})) {
    if (typeof value === "number") limits[snakeLimit(key)!] = value;
  }
  return {
    iterations: status.iterations,
    search_calls: status.searchCalls,
    tokens: status.tokens,
    elapsed_seconds: status.elapsedSeconds,
    cost_usd: status.costUsd ?? null,
    utilization: status.utilization ?? null,
    exceeded: status.exceeded,
    exceeded_limit: snakeLimit(status.exceededLimit ?? null),
    limits,
  };
}

export function sourceJson(source: SearchResult) {
  return { id: source.id, content: source.content, metadata: source.metadata ?? {}, score: source.score };
}

function stepJson(step: ReasoningStep) {
  return {
    iteration: step.iteration,
    model_text: step.modelText ?? "",
    code: step.code ?? [],
    output: step.output ?? "",
    searches: (step.searches ?? []).map((s) => ({
      query: s.query,
      top_k: s.topK,
      hits: s.hits,
      ids: s.ids ?? [],
      time_ms: s.timeMs,
    })),
    sub_llm_calls: step.subLLMCalls?.length ?? 0,
    time_ms: step.timeMs,
    final: step.final === true,
  };
}

/** What the steps of a run spent: on a cache hit, what the run that produced the answer spent. */
function stepsUsage(result: DeepRecallResult) {
  let sum: Tokens = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const step of result.reasoningTrace ?? []) if (step.usage) sum = addTokens(sum, step.usage);
  return usageJson(sum);
}

/** The `deeprecall` extension object, in snake_case. */
export function extensionJson(result: DeepRecallResult) {
  const cached = result.cached === true;
  return {
    sources: (result.sources ?? []).map(sourceJson),
    confidence: result.confidence ?? null,
    budget_status: budgetStatusJson(result.budgetStatus),
    steps: (result.reasoningTrace ?? []).map(stepJson),
    error: result.error ?? null,
    execution_time_ms: result.executionTimeMs,
    cost_usd: result.usage?.costUsd ?? null,
    cached,
    cached_usage: cached ? stepsUsage(result) : null,
  };
}

/** Chat/completions `usage`: only what this request spent. */
/**
 * OpenAI's `CompletionUsage` (chat and completions). `prompt_tokens_details.cached_tokens` and
 * `completion_tokens_details.reasoning_tokens` are there only when the provider reported them:
 * the schema makes both objects optional, and a 0 would read as a measurement.
 */
export function usageJson(usage: Tokens) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedInputTokens !== undefined
      ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }
      : {}),
    ...(usage.reasoningTokens !== undefined
      ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
      : {}),
  };
}

/** A sum of counts that may be unknown: unknown only when both are. */
function addKnown(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

/** `a` + `b`; the cache-read and reasoning counts stay absent unless one of them has them. */
export function addTokens(a: Tokens, b: Tokens): Tokens {
  const cachedInputTokens = addKnown(a.cachedInputTokens, b.cachedInputTokens);
  const reasoningTokens = addKnown(a.reasoningTokens, b.reasoningTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    ...(cachedInputTokens !== undefined ? { cachedInputTokens } : {}),
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
  };
}

/**
 * A random id: `prefix` and `digits` hex digits (at most 32), e.g. "chatcmpl-…" (29, OpenAI's
 * length) or "call_…" (24). The digits come from `crypto.randomUUID()` (which draws from a
 * batched entropy pool) without its dashes.
 */
export function randomId(prefix: string, digits: number): string {
  const u = crypto.randomUUID();
  const hex = u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24);
  return prefix + hex.slice(0, digits);
}

/** An OpenAI-style id: the prefix and 29 hex digits, e.g. "chatcmpl-…". */
export function openaiId(prefix: string): string {
  return randomId(prefix, 29);
}
