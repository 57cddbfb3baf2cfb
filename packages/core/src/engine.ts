import { synthesizeAnswer } from "./answer-check.ts";
import {
  type CachedAnswer,
  EventRecorder,
  isCachedAnswer,
  recordedEvents,
  replayEvents,
} from "./cache/answer-record.ts";
import { generationKey, newGeneration } from "./cache/generation.ts";
import { cacheKey, tupleCacheKey } from "./cache/key.ts";
import type { CacheStore } from "./cache/types.ts";
import { CALL_TIMEOUT_LIMIT } from "./call-timeout.ts";
import { CallbackManager } from "./callbacks/manager.ts";
import type { DeepRecallCallbacks } from "./callbacks/types.ts";
import { completeDirect, type DirectCallContext } from "./direct-call.ts";
import type { DeepRecallEngineApi, UsageReport } from "./engine-api.ts";
import {
  AbortError,
  ConfigError,
  DeepRecallError,
  getErrorMessage,
  isAbortError,
  VectorStoreError,
} from "./errors.ts";
import { EventChannel } from "./event-channel.ts";
import { validateFilter } from "./filters.ts";
import { mapConcurrent } from "./map-concurrent.ts";
import { CALL_DEFAULTS, type DeepRecallEngineOptions, parseBudget, parseEngineOptions } from "./options.ts";
import { runReplLoop } from "./repl-loop.ts";
import { applyReranker } from "./rerank.ts";
import { isTransientError, redactSecrets, toLLMProviderError, withRetry } from "./retry.ts";
import { confidenceFrom, modelIdOf, RunState, type SearchFn } from "./run-state.ts";
import { createSandboxPool } from "./sandbox/index.ts";
import type { SandboxPool } from "./sandbox/types.ts";
import { structureAnswer } from "./structure-call.ts";
import { runToolsLoop } from "./tools-loop.ts";
import type {
  AddDocumentsInput,
  CompleteRequest,
  CompleteResult,
  DeepRecallResult,
  DirectCompletionApi,
  EngineEvent,
  QueryBudget,
  QueryOptions,
  ReasoningStep,
  SearchOptions,
  SearchResult,
  StructuredOutputApi,
  StructureRequest,
  StructureResult,
  UsageSummary,
  VectorStore,
} from "./types.ts";

const DEFAULTS = {
  maxIterations: 15,
  maxDepth: 1,
  topK: 5,
  maxOutputChars: 12_000,
  maxConcurrency: 4,
  cacheTtlSeconds: 3600,
};

type ResolvedOptions = DeepRecallEngineOptions & typeof DEFAULTS;

interface UsageSource {
  report(): UsageReport | Promise<UsageReport>;
}

/**
 * The DeepRecall engine: an LLM that searches the vector store, writes JavaScript over what it
 * found in a sandbox, asks sub-models for help, searches again, and then answers.
 */
export class DeepRecallEngine implements DeepRecallEngineApi, StructuredOutputApi, DirectCompletionApi {
  readonly vectorStore: VectorStore;
  readonly modelId: string;
  private readonly options: ResolvedOptions;
  private readonly callbacks: CallbackManager;
  private pool: SandboxPool | null = null;
  private readonly ownsPool: boolean;
  private closed = false;
  /** Runs in progress, by the controller that aborts each, with the promise of its end. */
  private readonly activeRuns = new Map<AbortController, Promise<void>>();
  /** The cache whole answers go in: `cache` when `cacheAnswers` is on, else none. */
  private readonly answerCache: CacheStore | undefined;
  /** False once the root model failed to stream a direct call: later ones use generateText. */
  /** Whether the backend streams direct calls: cleared for good once it refuses to. */
  private readonly streams = { value: true };
  /** A new store generation being stored by this engine (see `generation()`). */
  private startingGeneration: Promise<string> | null = null;

  constructor(options: DeepRecallEngineOptions) {
    parseEngineOptions(options);
    this.options = { ...DEFAULTS, ...stripUndefined(options) } as ResolvedOptions;
    this.vectorStore = options.vectorStore;
    this.modelId = modelIdOf(options.model);
    this.callbacks = new CallbackManager(options.callbacks ?? []);
    this.answerCache = options.cacheAnswers ? options.cache : undefined;
    const sandbox = options.sandbox;
    if (sandbox && typeof (sandbox as SandboxPool).createSession === "function") {
      this.pool = sandbox as SandboxPool;
      this.ownsPool = false;
    } else {
      this.ownsPool = true;
    }
  }

  /** The engine's `budget` option: the limits of a query that sets none of its own. */
  get budget(): Readonly<QueryBudget> {
    return this.options.budget ?? {};
  }

  /** Register another callback after construction (e.g. the server's usage tracker). */
  addCallback(callback: DeepRecallCallbacks): void {
    this.callbacks.add(callback);
  }

  async query(query: string, options: QueryOptions = {}): Promise<DeepRecallResult> {
    this.assertOpen();
    const budget = validateQuery(query, options, this.options.budget);
    // An answer-cache hit is served here, without the run's event plumbing (channel, abort
    // controller, iterator): it emits nothing anyone could observe through query().
    const lookup = await this.lookupAnswer(query, options, budget);
    if (lookup.hit) return lookup.hit.result;
    let result: DeepRecallResult | undefined;
    for await (const event of this.run(query, options, lookup)) {
      if (event.type === "result") result = event.result;
    }
    if (!result) throw new DeepRecallError("The run ended without a result");
    return result;
  }

  /**
   * The same run as `query()`, as live events. Stopping iteration early (break/return)
   * aborts the run. An answer-cache hit (`cacheAnswers`) replays the events its original run
   * emitted (iterations, model text, code, output, searches, sub-LLM calls, answer text) between
   * a new `query-start` and its `result`, so a reader sees the same reasoning again.
   */
  async *stream(query: string, options: QueryOptions = {}): AsyncIterable<EngineEvent> {
    this.assertOpen();
    const budget = validateQuery(query, options, this.options.budget);
    const lookup = await this.lookupAnswer(query, options, budget);
    if (lookup.hit) {
      const { result, entry } = lookup.hit;
      yield { type: "query-start", query, runId: crypto.randomUUID() };
      yield* replayEvents(recordedEvents(entry), result.reasoningTrace);
      yield { type: "result", result };
      return;
    }
    yield* this.run(query, options, lookup);
  }

  /** A run that missed the answer cache (or skipped it), as live events. */
  private async *run(query: string, options: QueryOptions, lookup: AnswerLookup): AsyncIterable<EngineEvent> {
    const channel = new EventChannel<EngineEvent>();
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const running = this.execute(query, { ...options, signal: controller.signal }, lookup, (e) =>
      channel.push(e),
    ).then(
      (result) => {
        channel.push({ type: "result", result });
        channel.close();
      },
      (error) => channel.fail(error),
    );
    this.activeRuns.set(controller, running);
    try {
      yield* channel;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      controller.abort(new AbortError("The consumer stopped reading the stream"));
      await running;
      this.activeRuns.delete(controller);
    }
  }

  /** Runs many queries with bounded concurrency; results in input order; a failure becomes that result's `error`. */
  async queryBatch(
    queries: string[],
    options: QueryOptions & { maxConcurrency?: number } = {},
  ): Promise<DeepRecallResult[]> {
    if (!Array.isArray(queries))
      throw new ConfigError("queryBatch expects an array of query strings", { field: "queries" });
    const { maxConcurrency = this.options.maxConcurrency, ...queryOptions } = options;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
      throw new ConfigError("maxConcurrency must be a positive integer", { field: "maxConcurrency" });
    }
    // A failed query becomes its result's `error`; only an abort stops the batch.
    return mapConcurrent(queries, maxConcurrency, async (q) => {
      try {
        return await this.query(q, queryOptions);
      } catch (error) {
        if (queryOptions.signal?.aborted) throw error;
        return failedResult(typeof q === "string" ? q : String(q), error);
      }
    });
  }

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    this.assertOpen();
    let ids: string[];
    try {
      ids = await this.vectorStore.addDocuments(input);
    } catch (error) {
      throw this.storeFailure("Adding documents", error);
    }
    await this.bumpGeneration();
    return ids;
  }

  async deleteDocuments(ids: string[]): Promise<void> {
    this.assertOpen();
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw new ConfigError("ids must be an array of strings", { field: "ids" });
    }
    try {
      await this.vectorStore.delete(ids);
    } catch (error) {
      throw this.storeFailure("Deleting documents", error);
    }
    await this.bumpGeneration();
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    this.assertOpen();
    if (typeof query !== "string" || query.trim() === "")
      throw new ConfigError("query must be a non-empty string", { field: "query" });
    const topK = options.topK ?? this.options.topK;
    if (!Number.isInteger(topK) || topK < 1)
      throw new ConfigError("topK must be a positive integer", { field: "topK" });
    if (options.filters !== undefined) validateFilter(options.filters);
    const { results } = await this.searchStore(query, {
      topK,
      ...(options.filters ? { filters: options.filters } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return results;
  }

  /**
   * One structured-output call with the root model: rewrites `answer` as JSON matching
   * `schema` (any JSON object when null), validated by the AI SDK and by `validate`; a value
   * that fails validation is asked for once more. Provider failures become `LLMProviderError`.
   * See {@link structureAnswer}.
   */
  async structure(request: StructureRequest): Promise<StructureResult> {
    this.assertOpen();
    return structureAnswer(this.directCall(), request);
  }

  /**
   * One direct call of the root model: the messages as they are, no retrieval, no sandbox, the
   * model's own answer (for chat UIs' housekeeping: titles, tags, follow-ups). See
   * {@link completeDirect}. Provider failures become `LLMProviderError`; an abort throws the abort.
   */
  async complete(request: CompleteRequest): Promise<CompleteResult> {
    this.assertOpen();
    return completeDirect(this.directCall(), request);
  }

  /** What a direct call of the root model needs from this engine. */
  private directCall(): DirectCallContext {
    return {
      model: this.options.model,
      modelId: this.modelId,
      pricing: this.options.pricing,
      retry: this.options.retry,
      callTimeoutMs: this.options.callTimeoutMs ?? CALL_DEFAULTS.callTimeoutMs,
      streams: this.streams,
    };
  }

  async clearCache(): Promise<void> {
    await this.options.cache?.clear();
  }

  async usage(): Promise<UsageReport | null> {
    const tracker = this.callbacks.find(
      (cb): cb is DeepRecallCallbacks & UsageSource =>
        typeof (cb as Partial<UsageSource>).report === "function",
    );
    return tracker ? await tracker.report() : null;
  }

  /**
   * Closes the engine: queries still running are aborted (they reject with an `AbortError`; no
   * model call, search or sandbox block of theirs goes on) and awaited, then the sandbox pool
   * (when the engine created it), the cache and the store are closed. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const reason = new AbortError("The engine was closed while the query ran");
    for (const controller of this.activeRuns.keys()) controller.abort(reason);
    await Promise.allSettled(this.activeRuns.values());
    if (this.pool && this.ownsPool) await this.pool.close();
    this.pool = null;
    await this.options.cache?.close?.();
    await this.vectorStore.close?.();
  }

  // ---------------------------------------------------------------------------------------

  /**
   * A third-party store's raw error becomes a VectorStoreError naming the store (so the server
   * answers 502/503, not 500); our own errors and aborts pass through unchanged.
   */
  private storeFailure(what: string, error: unknown): unknown {
    if (DeepRecallError.isInstance(error) || isAbortError(error)) return error;
    return new VectorStoreError(
      `${what} failed in the ${this.vectorStore.name} store: ${redactSecrets(getErrorMessage(error))}`,
      {
        cause: error,
        store: this.vectorStore.name,
        retryable: isTransientError(error),
      },
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new DeepRecallError("This DeepRecallEngine has been closed");
  }

  private getPool(): SandboxPool {
    if (!this.pool) {
      const sandbox = this.options.sandbox as Parameters<typeof createSandboxPool>[0] | undefined;
      const pool = createSandboxPool(sandbox);
      this.pool = pool;
      return pool;
    }
    return this.pool;
  }

  /**
   * The store's generation, part of every cache key: replaced on every write, so no stale hit
   * survives an ingest. It is read from the cache each time (never memoised), so a write through
   * another engine or replica sharing the cache counts at once. When the cache holds none (never
   * written, evicted, expired, cleared), a new random one is stored before anything is searched,
   * so entries cached under a generation the cache has since lost are never matched again. When
   * the cache cannot be read, a generation of this query alone is used: nothing is served from
   * the cache.
   */
  private async generation(cache: CacheStore): Promise<string | number> {
    const key = generationKey(this.vectorStore.name);
    let current: string | number | undefined;
    try {
      current = await cache.get<string | number>(key);
    } catch {
      return newGeneration();
    }
    if (current !== undefined && current !== null) return current;
    // One new generation per engine at a time, so a burst of first queries agrees on it.
    if (!this.startingGeneration) {
      const generation = newGeneration();
      this.startingGeneration = cache
        .set(key, generation, 0)
        .catch(() => {})
        .then(() => generation)
        .finally(() => {
          this.startingGeneration = null;
        });
    }
    return this.startingGeneration;
  }

  /**
   * The answer-cache key for a query (only with `cacheAnswers`) and, when the cache holds it, the
   * cached answer as a hit: the recorded answer, sources, steps and budget status, marked
   * `cached`, with `usage` zeroed because serving it spent no tokens (usage counts only what this
   * call spent), and the events its run emitted.
   */
  private async lookupAnswer(
    query: string,
    options: QueryOptions,
    budget: QueryBudget,
  ): Promise<AnswerLookup> {
    const cache = this.answerCache;
    if (!cache || options.noCache) return { key: "", budget, hit: undefined };
    // Field order is part of the key: change it only with the version tag. v4: the value is a
    // CachedAnswer whose recorded events are serialised text (v3: an array).
    const key = tupleCacheKey([
      "query/v4",
      this.vectorStore.name,
      await this.generation(cache),
      this.modelId,
      this.options.subModel ? modelIdOf(this.options.subModel) : null,
      options.strategy ?? this.options.strategy ?? "repl",
      query,
      options.topK ?? this.options.topK,
      options.filters ?? null,
      budget,
      options.contextPrefix ?? null,
      options.rootPrompt ?? null,
      options.instructions ?? null,
      options.history ?? null,
      options.temperature ?? null,
      options.topP ?? null,
      options.seed ?? null,
      options.maxOutputTokens ?? null,
      options.grounding ?? this.options.grounding ?? true,
    ]);
    // A cache hit spends nothing, so callbacks (usage trackers) do not hear about it.
    const cached = await cache.get<CachedAnswer>(key).catch(() => undefined);
    if (!isCachedAnswer(cached)) return { key, budget, hit: undefined };
    const result: DeepRecallResult = {
      ...cached.result,
      usage: unspentUsage(cached.result.usage),
      cached: true,
    };
    return { key, budget, hit: { result, entry: cached } };
  }

  /** A write to the store: a new generation, so nothing cached before it is served again. */
  private async bumpGeneration(): Promise<void> {
    const cache = this.options.cache;
    if (!cache) return;
    // Never expires; a cache that loses it anyway starts another (see `generation()`).
    await cache.set(generationKey(this.vectorStore.name), newGeneration(), 0).catch(() => {});
  }

  private searchStore: SearchFn = async (query, { topK, filters, signal }) => {
    const cache = this.options.cache;
    const key = cache
      ? cacheKey({
          kind: "search",
          store: this.vectorStore.name,
          generation: await this.generation(cache),
          query,
          topK,
          filters: filters ?? null,
          reranked: !!this.options.reranker,
        })
      : "";
    if (cache) {
      const hit = await cache.get<SearchResult[]>(key).catch(() => undefined);
      if (hit) return { results: hit, cached: true };
    }
    const reranker = this.options.reranker;
    const fetchK = reranker ? Math.min(topK * 3, 100) : topK;
    let results: SearchResult[];
    try {
      results = await withRetry(
        () =>
          this.vectorStore.search(query, {
            topK: fetchK,
            ...(filters ? { filters } : {}),
            ...(signal ? { signal } : {}),
          }),
        { ...this.options.retry, ...(signal ? { signal } : {}), isRetryable: isTransientError },
      );
    } catch (error) {
      throw this.storeFailure("Search", error);
    }
    if (reranker) {
      try {
        results = await applyReranker(reranker, query, results, topK, signal);
      } catch (error) {
        if (DeepRecallError.isInstance(error) || isAbortError(error)) throw error;
        throw toLLMProviderError(error);
      }
    }
    if (cache) await cache.set(key, results, this.options.cacheTtlSeconds).catch(() => {});
    return { results, cached: false };
  };

  private async execute(
    query: string,
    options: QueryOptions,
    lookup: AnswerLookup,
    emitLive: (e: EngineEvent) => void,
  ): Promise<DeepRecallResult> {
    const started = performance.now();
    const { key, budget } = lookup;
    const cache = this.answerCache;
    // With an answer to cache, the run's events are recorded so a hit can replay them.
    const recorder = cache && key ? new EventRecorder() : null;
    const emit: (e: EngineEvent) => void = recorder
      ? (event) => {
          recorder.record(event);
          emitLive(event);
        }
      : emitLive;
    const engineOptions = {
      ...this.options,
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
    };
    // The run's limits as reported (budget status, live meters) include the iterations the
    // engine allows when the query's budget sets none: that is the limit the loop obeys.
    const limits = { ...budget, maxIterations: effectiveMaxIterations(this.options, budget) };
    const run = new RunState(query, options, engineOptions, this.searchStore, emit, this.callbacks, limits);
    emit({ type: "query-start", query, runId: run.runId });
    await run.hook("onQueryStart", run.ctx, options);

    const limitText = (limit: string) =>
      `Budget exceeded: ${limit}${limitValue(
        limit === "maxIterations"
          ? { maxIterations: effectiveMaxIterations(this.options, budget) }
          : limit === CALL_TIMEOUT_LIMIT
            ? { callTimeoutMs: this.options.callTimeoutMs ?? CALL_DEFAULTS.callTimeoutMs }
            : { ...budget },
        limit,
      )}`;
    // The one shape of a finished run, whichever way it ended.
    const finish = (
      answer: string,
      steps: ReasoningStep[],
      error: string | undefined,
      truncated: boolean,
    ): DeepRecallResult => {
      const sources = run.sortedSources();
      return {
        answer,
        sources,
        reasoningTrace: steps,
        usage: run.usage.summary(),
        executionTimeMs: Math.round(performance.now() - started),
        query,
        budgetStatus: run.budget.status(),
        ...(error ? { error } : {}),
        confidence: confidenceFrom(sources),
        ...(truncated ? { truncated: true } : {}),
      };
    };
    try {
      const storeSize = await this.vectorStore.count().catch(() => null);
      // The grounding floor: the top hits for the question itself, before the first model turn.
      const grounding =
        (options.grounding ?? this.options.grounding ?? true) ? await run.groundingSearch() : [];
      const input = {
        query,
        depth: 1,
        storeSize,
        grounding,
        ...(options.instructions ? { instructions: options.instructions } : {}),
        ...(options.history ? { history: options.history } : {}),
        ...(options.contextPrefix ? { contextPrefix: options.contextPrefix } : {}),
        ...(options.rootPrompt ? { rootPrompt: options.rootPrompt } : {}),
      };
      const strategy = options.strategy ?? this.options.strategy ?? "repl";
      const outcome =
        strategy === "tools" ? await runToolsLoop(run, input) : await runReplLoop(run, this.getPool(), input);
      run.checkAbort();
      let answer = outcome.answer;
      const limit = run.budget.exceededLimit;
      const error = limit ? limitText(limit) : undefined;
      if (!answer.trim()) answer = synthesizeAnswer(query, run.sortedSources(), limit ?? "maxIterations");
      if (strategy !== "tools") emit({ type: "answer-delta", text: answer });
      else if (answer.trim() !== (outcome.streamedAnswer ?? "").trim())
        emit({ type: "answer-delta", text: answer });
      // A cut answer replaced by one synthesised from the sources is no longer the cut one.
      const truncated = outcome.truncated === true && answer === outcome.answer;
      const result = finish(answer, outcome.steps, error, truncated);
      if (cache && recorder && !error)
        await cache.set(key, recorder.entry(result), this.options.cacheTtlSeconds).catch(() => {});
      await run.hook("onQueryEnd", run.ctx, result);
      return result;
    } catch (error) {
      const mapped = run.mapFailure(error, (e) => e as Error);
      await run.hook("onError", run.ctx, mapped);
      throw mapped;
    } finally {
      run.dispose();
    }
  }
}

function effectiveMaxIterations(
  options: { maxIterations: number },
  budget: { maxIterations?: number },
): number {
  return Math.min(options.maxIterations, budget.maxIterations ?? Number.POSITIVE_INFINITY);
}

/**
 * The OpenAI `finish_reason` for a result: "length" when the answer is not the model's whole
 * answer — a limit ended the run (the answer is best-effort: `budgetStatus.exceeded`), or the
 * output-token cap cut the model's answer (`truncated`) — else "stop".
 */
export function finishReasonOf(
  result: Pick<DeepRecallResult, "budgetStatus" | "truncated">,
): "stop" | "length" {
  return result.budgetStatus.exceeded || result.truncated === true ? "length" : "stop";
}

function limitValue(budget: Record<string, unknown>, limit: string): string {
  const value = budget[limit];
  return value === undefined ? "" : ` (limit ${value})`;
}

/** Checks a query and its options; returns the run's budget (engine defaults, then the query's). */
function validateQuery(
  query: unknown,
  options: QueryOptions,
  defaults: QueryBudget | undefined,
): QueryBudget {
  if (typeof query !== "string" || query.trim() === "") {
    throw new ConfigError("query must be a non-empty string", { field: "query" });
  }
  if (typeof options !== "object" || options === null)
    throw new ConfigError("query options must be an object", { field: "options" });
  if (
    options.topK !== undefined &&
    (!Number.isInteger(options.topK) || options.topK < 1 || options.topK > 1000)
  ) {
    throw new ConfigError("topK must be an integer between 1 and 1000", { field: "topK" });
  }
  if (options.filters !== undefined) validateFilter(options.filters);
  if (options.strategy !== undefined && options.strategy !== "repl" && options.strategy !== "tools") {
    throw new ConfigError(`strategy must be "repl" or "tools", got ${JSON.stringify(options.strategy)}`, {
      field: "strategy",
    });
  }
  return { ...defaults, ...parseBudget(options.budget, "query budget") };
}

interface AnswerLookup {
  /** The answer-cache key; "" when the answer cache is off for this query. */
  key: string;
  budget: QueryBudget;
  /** A cached answer: the result as served (usage 0, `cached`) and the entry it came from. */
  hit: { result: DeepRecallResult; entry: CachedAnswer } | undefined;
}

/** What serving a cached answer spent: nothing (the cost is 0 when the run had a known cost). */
function unspentUsage(recorded: UsageSummary | undefined): UsageSummary {
  return {
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    calls: 0,
    ...(recorded?.costUsd !== undefined ? { costUsd: 0 } : {}),
    byModel: {},
  };
}

function failedResult(query: string, error: unknown): DeepRecallResult {
  return {
    answer: "",
    sources: [],
    reasoningTrace: [],
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} },
    executionTimeMs: 0,
    query,
    budgetStatus: {
      iterations: 0,
      searchCalls: 0,
      tokens: 0,
      elapsedSeconds: 0,
      costUsd: null,
      utilization: null,
      exceeded: false,
      exceededLimit: null,
      limits: {},
    },
    error: getErrorMessage(error),
    confidence: null,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { CacheStore };
