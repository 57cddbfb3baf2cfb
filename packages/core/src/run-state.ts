import type { LanguageModel } from "ai";
import pLimit, { type LimitFunction } from "p-limit";
import { BudgetTracker } from "./budget.ts";
import { callTimeoutError, callTimeoutReason } from "./call-timeout.ts";
import type { CallbackManager } from "./callbacks/manager.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./callbacks/types.ts";
import {
  AbortError,
  BudgetExceededError,
  DeepRecallError,
  getErrorMessage,
  isAbortError,
  LLMProviderError,
} from "./errors.ts";
import { validateFilter } from "./filters.ts";
import {
  estimateTokens,
  type ModelReply,
  type ModelRequest,
  promptChars,
  requestModel,
  usageOrEstimate,
} from "./model-call.ts";
import { CALL_DEFAULTS, type DeepRecallEngineOptions } from "./options.ts";
import { isTransientError, toLLMProviderError, withRetry } from "./retry/index.ts";
import { truncate } from "./truncate.ts";
import type {
  EngineEvent,
  MetadataFilter,
  QueryBudget,
  QueryOptions,
  SearchRecord,
  SearchResult,
  SubLLMCall,
  TokenUsage,
} from "./types.ts";
import { addTokens, type CallUsage, callCost, UsageAccumulator } from "./usage.ts";

/** Characters of a sub-LLM prompt or response kept in the reasoning trace. */
export const MAX_TRACE_TEXT_CHARS = 4_000;

export type ResolvedEngineOptions = Required<
  Pick<DeepRecallEngineOptions, "maxIterations" | "maxDepth" | "topK" | "maxOutputChars" | "maxConcurrency">
> &
  DeepRecallEngineOptions;

export function modelIdOf(model: LanguageModel): string {
  return typeof model === "string" ? model : model.modelId;
}

/** How the engine searches (shared with `engine.search`, which goes through the same cache). */
export type SearchFn = (
  query: string,
  options: { topK: number; filters?: MetadataFilter; signal?: AbortSignal },
) => Promise<{ results: SearchResult[]; cached: boolean }>;

/** The longest delay `setTimeout` honours (a signed 32-bit count of ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Everything one `query()` shares across its loops (root and child): the budget, usage,
 * sources seen, the abort signal, the model-call slots and the event/callback fan-out.
 */
export class RunState {
  readonly runId = crypto.randomUUID();
  readonly budget: BudgetTracker;
  readonly usage = new UsageAccumulator();
  readonly sources = new Map<string, SearchResult>();
  readonly signal: AbortSignal;
  /** Model-call retries this run (each one reported to `onError`). */
  retries = 0;
  /** Usage counted since the last finished step (taken with {@link takeStepUsage}). */
  stepUsage: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  stepSearches: SearchRecord[] = [];
  stepSubCalls: SubLLMCall[] = [];
  /** A failure that must end the run even if model code caught it (store down, provider down). */
  fatal: unknown = null;
  currentIteration = 0;
  private readonly deadline: AbortController = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly userSignal: AbortSignal | undefined;

  readonly query: string;
  readonly options: QueryOptions;
  readonly engine: ResolvedEngineOptions;
  readonly search: SearchFn;
  private readonly emitEvent: (event: EngineEvent) => void;
  private readonly callbacks: CallbackManager;
  /**
   * At most `maxConcurrency` model calls of this run in flight, all depths together: child loops
   * fanning out inside child loops cannot multiply it. A call waits here before its budget
   * admission, so it is admitted against what the calls before it spent. (No deadlock: a call
   * holding a slot never waits for another.)
   */
  private readonly modelSlots: LimitFunction;

  constructor(
    query: string,
    options: QueryOptions,
    engine: ResolvedEngineOptions,
    search: SearchFn,
    emitEvent: (event: EngineEvent) => void,
    callbacks: CallbackManager,
    budget: QueryBudget,
  ) {
    this.query = query;
    this.options = options;
    this.engine = engine;
    this.search = search;
    this.emitEvent = emitEvent;
    this.callbacks = callbacks;
    this.budget = new BudgetTracker(budget);
    this.modelSlots = pLimit(engine.maxConcurrency);
    this.userSignal = options.signal;
    const signals = [this.deadline.signal];
    if (options.signal) signals.push(options.signal);
    this.signal = AbortSignal.any(signals);
    // Node runs a timer longer than 2^31-1 ms (~24.8 days) after 1 ms: a longer time budget is
    // no limit in practice, so it gets no timer.
    if (budget.maxTimeSeconds !== undefined && budget.maxTimeSeconds * 1000 <= MAX_TIMER_MS) {
      this.timer = setTimeout(() => {
        this.budget.markExceeded("maxTimeSeconds");
        this.deadline.abort(new BudgetExceededError("maxTimeSeconds"));
      }, budget.maxTimeSeconds * 1000);
      this.timer.unref?.();
    }
  }

  get ctx(): CallbackContext {
    return { runId: this.runId, query: this.query };
  }

  /** True when the caller (not the time budget) aborted. */
  get userAborted(): boolean {
    return this.userSignal?.aborted === true;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** Throws AbortError if the caller aborted; returns true if the time budget ran out. */
  checkAbort(): void {
    if (this.userAborted) throw new AbortError("The query was aborted", { cause: this.userSignal?.reason });
  }

  emit(event: EngineEvent): void {
    if (event.type === "iteration-complete" && !event.budget) {
      this.emitEvent({ ...event, budget: this.budget.status() });
      return;
    }
    this.emitEvent(event);
  }

  /** Calls a hook on every registered callback; the manager isolates failing callbacks. */
  async hook<K extends keyof DeepRecallCallbacks>(
    name: K,
    ...args: Parameters<NonNullable<DeepRecallCallbacks[K]>>
  ): Promise<void> {
    await (this.callbacks[name] as (...a: unknown[]) => Promise<void>).apply(this.callbacks, args);
  }

  /** Emits budget warnings (80% of a limit) once each. */
  async warnBudget(): Promise<void> {
    for (const message of this.budget.newWarnings()) {
      const status = this.budget.status();
      this.emit({ type: "budget-warning", status, message });
      await this.hook("onBudgetWarning", this.ctx, status, message);
    }
  }

  /**
   * One model call, admitted by the budget before it goes out (throws `BudgetExceededError`
   * when tokens, cost or time are spent, or would be by the calls already in flight and this
   * one, see `BudgetTracker.startModelCall` — nothing is sent then). It first waits for one of
   * the run's `maxConcurrency` model-call slots (shared by every depth). The request streams from the
   * backend when the model can stream; each attempt has the per-call timeout (`callTimeoutMs`)
   * and transient failures (timeouts included) are retried per `retry`, each retry admitted
   * again and reported to `onError`. Usage (estimated when the backend sends none, and counted
   * for attempts cut by a timeout or abort) goes into the run's totals, the current step and the
   * budget. `signal` (e.g. the host call's) is combined with the run's.
   *
   * @throws BudgetExceededError, LLMProviderError, AbortError
   */
  async callModel(
    model: LanguageModel,
    request: ModelRequest,
    options: { signal?: AbortSignal | undefined; what?: string } = {},
  ): Promise<string> {
    return (await this.callModelReply(model, request, options)).text;
  }

  /**
   * {@link callModel}, with the backend's finish reason of the reply: a loop taking its answer
   * from the reply needs it to tell an answer the output-token cap cut ("length") from a whole one.
   *
   * @throws BudgetExceededError, LLMProviderError, AbortError
   */
  callModelReply(
    model: LanguageModel,
    request: ModelRequest,
    options: { signal?: AbortSignal | undefined; what?: string } = {},
  ): Promise<Pick<ModelReply, "text" | "finishReason">> {
    return this.modelSlots(() => this.sendModelCall(model, request, options));
  }

  /** {@link callModelReply} once it holds a model-call slot: admission, the call, its usage. */
  private async sendModelCall(
    model: LanguageModel,
    request: ModelRequest,
    options: { signal?: AbortSignal | undefined; what?: string },
  ): Promise<Pick<ModelReply, "text" | "finishReason">> {
    this.checkAbort();
    const what = options.what ?? "model call";
    const promptTokens = estimateTokens(promptChars(request));
    const settle = this.budget.startModelCall(what, promptTokens, this.promptCost(model, promptTokens));
    try {
      return await this.sendAdmittedCall(model, request, options.signal, what);
    } finally {
      settle();
    }
  }

  private async sendAdmittedCall(
    model: LanguageModel,
    request: ModelRequest,
    callSignal: AbortSignal | undefined,
    what: string,
  ): Promise<Pick<ModelReply, "text" | "finishReason">> {
    const signal = callSignal ? AbortSignal.any([this.signal, callSignal]) : this.signal;
    const modelId = modelIdOf(model);
    const timeoutMs = this.engine.callTimeoutMs ?? CALL_DEFAULTS.callTimeoutMs;
    let reply: ModelReply;
    try {
      reply = await this.retryModelCall(what, signal, async () => {
        const timer = new AbortController();
        const handle = setTimeout(() => timer.abort(callTimeoutReason()), timeoutMs);
        const progress = { text: "" };
        const attemptSignal = AbortSignal.any([signal, timer.signal]);
        // A request cut by a timeout or abort was spent all the same: count what it had
        // generated at the moment it was cut (synchronously, before anyone reads the totals).
        const countCut = () =>
          this.recordUsage(
            modelId,
            usageOrEstimate(undefined, promptChars(request), progress.text).usage,
            undefined,
          );
        attemptSignal.addEventListener("abort", countCut, { once: true });
        try {
          return await requestModel(model, request, attemptSignal, progress);
        } catch (error) {
          if (timer.signal.aborted && !signal.aborted) {
            throw callTimeoutError(timeoutMs);
          }
          throw error;
        } finally {
          clearTimeout(handle);
          attemptSignal.removeEventListener("abort", countCut);
        }
      });
    } catch (error) {
      throw this.mapFailure(error, (e) => toLLMProviderError(e));
    }
    this.recordUsage(modelId, reply.usage, reply.providerMetadata);
    await this.warnBudget();
    return { text: reply.text, finishReason: reply.finishReason };
  }

  /**
   * The retry path of every model request the run makes, whatever the strategy: `call` is
   * retried per `engine.retry` (count, base and max backoff delay, Retry-After) while its
   * failure is transient; each retry is admitted by the budget again (throws
   * `BudgetExceededError` instead of sending it), counted in {@link retries} and reported to
   * `onError`. `signal` aborts the call and any backoff wait. `call` gets the attempt number.
   */
  retryModelCall<T>(what: string, signal: AbortSignal, call: (attempt: number) => Promise<T>): Promise<T> {
    return withRetry(
      (attempt) => {
        if (attempt > 1) this.budget.admitModelCall(what);
        return call(attempt);
      },
      {
        ...this.engine.retry,
        signal,
        isRetryable: isTransientError,
        onRetry: (error, attempt, delayMs) => {
          this.retries++;
          void this.hook(
            "onError",
            this.ctx,
            new LLMProviderError(
              `${getErrorMessage(error)} — retrying (attempt ${attempt + 1}) in ${Math.round(delayMs)} ms`,
              { retryable: true, cause: error },
            ),
          );
        },
      },
    );
  }

  /**
   * What `promptTokens` of input cost at `model`'s price in the engine's `pricing` (USD), or 0
   * when its price is not known there (a provider-reported cost comes only after the call).
   */
  promptCost(model: LanguageModel, promptTokens: number): number {
    const usage = { inputTokens: promptTokens, outputTokens: 0, totalTokens: promptTokens };
    return callCost(modelIdOf(model), usage, this.engine.pricing, undefined) ?? 0;
  }

  /** Counts one model call's usage (and cost) in the run's totals, the current step and the budget. */
  recordUsage(modelId: string, usage: CallUsage, providerMetadata: unknown): void {
    const costUsd = callCost(modelId, usage, this.engine.pricing, providerMetadata);
    this.usage.add(modelId, { ...usage, ...(costUsd !== undefined ? { costUsd } : {}) });
    addTokens(this.stepUsage, usage);
    this.budget.addTokens(usage.totalTokens, costUsd);
    this.budget.check();
  }

  /** Takes the usage counted since the last call (the step just finished) and starts a new count. */
  takeStepUsage(): TokenUsage {
    const usage = { ...this.stepUsage };
    this.stepUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    return usage;
  }

  /** Turns a failure into the error the caller should see: abort, budget, or a DeepRecallError. */
  mapFailure(error: unknown, wrap: (e: unknown) => Error): unknown {
    if (this.userAborted) return new AbortError("The query was aborted", { cause: error });
    if (
      this.budget.exceededLimit === "maxTimeSeconds" &&
      (isAbortError(error) || BudgetExceededError.isInstance(error))
    ) {
      return new BudgetExceededError("maxTimeSeconds");
    }
    if (DeepRecallError.isInstance(error)) return error;
    if (isAbortError(error)) return new AbortError("The query was aborted", { cause: error });
    return wrap(error);
  }

  /**
   * A search on behalf of model code: counts against maxSearchCalls (refusing past it),
   * merges the query-level filters, records the hits as sources and tells everyone.
   */
  async searchForModel(
    query: unknown,
    topK: unknown,
    filters: unknown,
    signal?: AbortSignal,
  ): Promise<SearchResult[]> {
    this.checkAbort();
    if (typeof query !== "string" || query.trim() === "") {
      throw new TypeError("searchDb(query, topK, filters): query must be a non-empty string");
    }
    let k = this.engine.topK;
    if (topK !== undefined && topK !== null) {
      if (typeof topK !== "number" || !Number.isFinite(topK) || topK < 1) {
        throw new TypeError("searchDb(query, topK, filters): topK must be a positive number");
      }
      k = Math.min(Math.floor(topK), 100);
    }
    let modelFilters: MetadataFilter | undefined;
    if (filters !== undefined && filters !== null) {
      validateFilter(filters);
      modelFilters = filters;
    }
    const merged = mergeFilters(this.options.filters, modelFilters);
    this.budget.admitSearch();
    const started = performance.now();
    let outcome: { results: SearchResult[]; cached: boolean };
    try {
      outcome = await this.search(query, {
        topK: k,
        ...(merged ? { filters: merged } : {}),
        signal: signal ? AbortSignal.any([this.signal, signal]) : this.signal,
      });
    } catch (error) {
      const mapped = this.mapFailure(error, (e) => e as Error);
      this.fatal ??= mapped;
      throw mapped;
    }
    const record: SearchRecord = {
      query,
      topK: k,
      ...(merged ? { filters: merged } : {}),
      hits: outcome.results.length,
      ids: outcome.results.map((r) => r.id),
      scores: outcome.results.map((r) => r.score),
      timeMs: Math.round(performance.now() - started),
      ...(outcome.cached ? { cached: true } : {}),
    };
    for (const hit of outcome.results) {
      const seen = this.sources.get(hit.id);
      if (!seen || seen.score < hit.score) this.sources.set(hit.id, hit);
    }
    this.stepSearches.push(record);
    this.emit({ type: "search", iteration: this.currentIteration, search: record });
    await this.hook("onSearch", this.ctx, record);
    this.budget.check();
    await this.warnBudget();
    return outcome.results;
  }

  /**
   * The grounding floor: one search for the question itself, before the first model turn, with
   * the query's topK and filters. Counted as a search (and its hits as sources) like any other.
   * Returns [] without searching when the search budget allows none (`maxSearchCalls: 0`).
   *
   * @throws VectorStoreError when the store fails, AbortError when the caller aborts.
   */
  async groundingSearch(): Promise<SearchResult[]> {
    if (this.budget.limits.maxSearchCalls === 0) return [];
    try {
      return await this.searchForModel(this.query, this.options.topK ?? this.engine.topK, undefined);
    } catch (error) {
      if (BudgetExceededError.isInstance(error)) return [];
      throw error;
    }
  }

  /**
   * Records a sub-LLM call in the step (and its event), with the prompt and response cut to
   * {@link MAX_TRACE_TEXT_CHARS}: the trace travels in every response, and 3,000 calls with
   * 100,000-character prompts would otherwise make it hundreds of megabytes.
   */
  recordSubCall(call: SubLLMCall): void {
    call = {
      ...call,
      prompt: truncate(call.prompt, MAX_TRACE_TEXT_CHARS),
      response: truncate(call.response, MAX_TRACE_TEXT_CHARS),
    };
    this.stepSubCalls.push(call);
    this.emit({ type: "sub-llm", iteration: this.currentIteration, call });
  }

  /** Sources best first. */
  sortedSources(): SearchResult[] {
    return [...this.sources.values()].sort((a, b) => b.score - a.score);
  }
}

export function mergeFilters(
  a: MetadataFilter | undefined,
  b: MetadataFilter | undefined,
): MetadataFilter | undefined {
  if (a && b) return { $and: [a, b] };
  return a ?? b;
}

/** Mean of the top three source scores, or null when nothing was found. */
export function confidenceFrom(sources: SearchResult[]): number | null {
  if (sources.length === 0) return null;
  const top = sources.slice(0, 3);
  const mean = top.reduce((sum, s) => sum + s.score, 0) / top.length;
  return Math.round(Math.min(1, Math.max(0, mean)) * 1000) / 1000;
}
