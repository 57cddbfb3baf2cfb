import type { LanguageModel } from "ai";
import { z } from "zod";
import type { CacheStore } from "./cache/types.ts";
import type { DeepRecallCallbacks } from "./callbacks/types.ts";
import { ConfigError } from "./errors.ts";
import { isReranker, type Reranker } from "./rerank.ts";
import type { RetryOptions } from "./retry-types.ts";
import type { SandboxOptions, SandboxPool } from "./sandbox/types.ts";
import type { PricingTable, QueryBudget, VectorStore } from "./types.ts";

export interface DeepRecallEngineOptions {
  vectorStore: VectorStore;
  /** The root model: an AI SDK LanguageModel (or a model id string for the AI SDK's global provider). */
  model: LanguageModel;
  /** Model for llmQuery sub-calls and summaries. Default: `model`. */
  subModel?: LanguageModel;
  /** "repl" (default): the model writes code in a sandbox. "tools": native tool calling. */
  strategy?: "repl" | "tools";
  /** Model turns before a forced final answer. Default 15. */
  maxIterations?: number;
  /** Recursion depth: with maxDepth > 1, llmQuery runs a child investigation. Default 1. */
  maxDepth?: number;
  /** Default hits per search. Default 5. */
  topK?: number;
  budget?: QueryBudget;
  callbacks?: DeepRecallCallbacks[];
  /**
   * Where the engine caches. By default only search results are cached (keyed by store, store
   * generation, query, topK, filters and reranking), so a repeated question runs fresh: the model
   * is asked again and its reasoning streams again. Whole answers are cached too only with
   * `cacheAnswers: true`.
   */
  cache?: CacheStore;
  /** TTL in seconds of what the engine puts in `cache` (search results; answers when cached). Default 3600. */
  cacheTtlSeconds?: number;
  /**
   * Also cache whole answers (needs `cache`). Default false. A repeated query with the same
   * options (and no write to the store since) is then served from the cache without asking the
   * model: `query()` returns the recorded result, `stream()` replays the events the original run
   * emitted (iterations, model text, code, output, searches, sub-LLM calls, answer text) before
   * it, and the result says `cached: true` and reports `usage` of 0 (nothing was spent). A
   * query's `noCache: true` skips the answer cache.
   */
  cacheAnswers?: boolean;
  /** Reranks search hits: an AI SDK RerankingModel (e.g. cohere.reranking(...)) or a function. */
  reranker?: Reranker;
  retry?: RetryOptions;
  /** Sandbox limits and pool size, or a pool to share between engines. */
  sandbox?: SandboxOptions | SandboxPool;
  /** USD per million tokens per model id, for `usage.costUsd`. */
  pricing?: PricingTable;
  /** Characters of REPL output shown to the model per turn. Default 12 000. */
  maxOutputChars?: number;
  /** Summarise older turns into the sandbox variable `history` once the prompt nears this many tokens. */
  compactionThresholdTokens?: number;
  /**
   * Most model calls of one query in flight at once, all nesting levels together (so
   * `llmQueryBatched` inside child loops cannot multiply it), and `queryBatch`'s default number
   * of queries at once. Default 4.
   */
  maxConcurrency?: number;
  /**
   * Output-token cap sent with every root-model turn (the root loop's turns, the forced last
   * turn, the tools strategy's steps). A query's own `maxOutputTokens` overrides it. Default 2048.
   */
  maxOutputTokens?: number;
  /** Output-token cap sent with every sub-call: llmQuery/llmQueryBatched, child loops, compaction. Default 1024. */
  subMaxOutputTokens?: number;
  /**
   * Per-call timeout in milliseconds for each model request (one attempt). A call that times out
   * is counted (its estimated tokens go into usage and the budget), reported to the callbacks'
   * `onError` as a retryable `LLMProviderError`, and retried per `retry`. A root turn that times
   * out on every attempt ends the run like a budget limit: a best-effort answer from the sources
   * seen, `error` "Budget exceeded: callTimeoutMs (limit N)", `budgetStatus.exceededLimit`
   * "callTimeoutMs" (HTTP `finish_reason` "length"); a sub-call's timeout is reported to the
   * model's code instead. Default 120 000.
   */
  callTimeoutMs?: number;
  /**
   * Grounding floor: before the first model turn, search the store for the question itself (topK
   * hits, the query's filters) and show the hits (ids and short snippets) in the first user
   * message. Counts as one search for the budget; the hits are sources. A query's own `grounding`
   * overrides it. Default true.
   */
  grounding?: boolean;
}

/** Defaults of the per-call limits above. */
export const CALL_DEFAULTS = {
  maxOutputTokens: 2048,
  subMaxOutputTokens: 1024,
  callTimeoutMs: 120_000,
} as const;

const positiveInt = z.int().positive();
const budgetSchema = z.strictObject({
  maxIterations: positiveInt.optional(),
  maxSearchCalls: z.int().nonnegative().optional(),
  maxTokens: positiveInt.optional(),
  maxTimeSeconds: z.number().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const storeSchema = z.custom<VectorStore>(
  (v) =>
    isObject(v) && ["addDocuments", "search", "delete", "count"].every((m) => typeof v[m] === "function"),
  { message: "expected a VectorStore (an object with addDocuments, search, delete and count)" },
);
const modelSchema = z.custom<LanguageModel>(
  (v) =>
    (typeof v === "string" && v.length > 0) ||
    (isObject(v) && (typeof v.doGenerate === "function" || typeof v.specificationVersion === "string")),
  { message: "expected an AI SDK LanguageModel (e.g. openai('gpt-4o-mini')) or a model id string" },
);

const optionsSchema = z.object({
  vectorStore: storeSchema,
  model: modelSchema,
  subModel: modelSchema.optional(),
  strategy: z.enum(["repl", "tools"]).optional(),
  maxIterations: z.int().min(1).max(200).optional(),
  maxDepth: z.int().min(1).max(5).optional(),
  topK: z.int().min(1).max(1000).optional(),
  budget: budgetSchema.optional(),
  callbacks: z
    .array(z.custom<DeepRecallCallbacks>((v) => isObject(v), { message: "expected a callbacks object" }))
    .optional(),
  cache: z
    .custom<CacheStore>((v) => isObject(v) && typeof v.get === "function" && typeof v.set === "function", {
      message: "expected a CacheStore (get, set, delete, clear)",
    })
    .optional(),
  cacheTtlSeconds: z.number().positive().optional(),
  cacheAnswers: z.boolean().optional(),
  reranker: z
    .custom<Reranker>((v) => isReranker(v), {
      message:
        "expected an AI SDK RerankingModel or a function (query, results, topK) => Promise<SearchResult[]>",
    })
    .optional(),
  retry: z
    .strictObject({
      maxRetries: z.int().min(0).max(20).optional(),
      baseDelayMs: z.number().nonnegative().optional(),
      maxDelayMs: z.number().nonnegative().optional(),
    })
    .optional(),
  sandbox: z
    .custom<SandboxOptions | SandboxPool>((v) => isObject(v), {
      message: "expected sandbox options or a SandboxPool",
    })
    .optional(),
  pricing: z
    .record(
      z.string(),
      z.strictObject({
        inputPerMillion: z.number().nonnegative(),
        outputPerMillion: z.number().nonnegative(),
      }),
    )
    .optional(),
  maxOutputChars: z.int().min(200).optional(),
  compactionThresholdTokens: z.int().min(1000).optional(),
  maxConcurrency: z.int().min(1).max(64).optional(),
  maxOutputTokens: z.int().min(1).optional(),
  subMaxOutputTokens: z.int().min(1).optional(),
  callTimeoutMs: z
    .number()
    .positive()
    .max(2 ** 31 - 1)
    .optional(),
  grounding: z.boolean().optional(),
});

/** Formats the first zod issue as "field: what was wrong (allowed values)". */
export function toConfigError(error: z.ZodError, prefix: string): ConfigError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join(".") || "(root)";
  let detail = issue.message;
  if (issue.code === "unrecognized_keys")
    detail = `unknown option(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return new ConfigError(`${prefix} "${field}": ${detail}`, { field, cause: error });
}

export function parseEngineOptions(options: DeepRecallEngineOptions): DeepRecallEngineOptions {
  if (!isObject(options))
    throw new ConfigError("DeepRecallEngine expects an options object { vectorStore, model, ... }");
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigError(parsed.error, "Invalid DeepRecallEngine option");
  return options;
}

export function parseBudget(budget: unknown, field = "budget"): QueryBudget | undefined {
  if (budget === undefined) return undefined;
  const parsed = budgetSchema.safeParse(budget);
  if (!parsed.success) throw toConfigError(parsed.error, `Invalid ${field} option`);
  return parsed.data;
}

export type { Reranker };
