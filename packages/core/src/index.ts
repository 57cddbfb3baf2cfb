export { raceAbort } from "./abort/index.ts";
export { synthesizeAnswer, usableAnswer } from "./answer-check.ts";
export { BudgetTracker, DEFAULT_MAX_TIME_SECONDS } from "./budget.ts";
export {
  cacheKey,
  deserializeValue,
  generationKey,
  InMemoryCache,
  type InMemoryCacheOptions,
  SqliteCache,
  type SqliteCacheOptions,
  serializeValue,
} from "./cache/index.ts";
export type { CacheStore } from "./cache/types.ts";
export {
  CallbackManager,
  ConsoleCallback,
  type ConsoleCallbackOptions,
  JsonlCallback,
  type JsonlCallbackOptions,
  ProgressCallback,
  type ProgressCallbackOptions,
  recentQueryOf,
  UsageTrackingCallback,
  type UsageTrackingCallbackOptions,
} from "./callbacks/index.ts";
export type { CallbackContext, DeepRecallCallbacks } from "./callbacks/types.ts";
export { assertDimensions, toEmbeddingFunction } from "./embeddings.ts";
export { DeepRecallEngine, finishReasonOf } from "./engine.ts";
export type { DeepRecallEngineApi, RecentQuery, UsageReport } from "./engine-api.ts";
export {
  AbortError,
  BudgetExceededError,
  ConfigError,
  DeepRecallError,
  getErrorMessage,
  isAbortError,
  LLMProviderError,
  SandboxError,
  ServiceUnavailableError,
  VectorStoreError,
} from "./errors.ts";
export { matchesFilter, validateFilter } from "./filters.ts";
export { formatBytes } from "./format-bytes.ts";
export { isPlainObject } from "./is-plain-object.ts";
export { isProcessAlive } from "./is-process-alive.ts";
export type { DeepRecallEngineOptions } from "./options.ts";
export { extractCodeBlocks, findFinal } from "./parse.ts";
export { type PercentileMethod, percentile } from "./percentile.ts";
export { plural } from "./plural.ts";
export { describeEngineEvent } from "./progress.ts";
export { applyReranker, type Reranker, type RerankFunction } from "./rerank.ts";
export {
  isTransientError,
  redactSecrets,
  toLLMProviderError,
  type WithRetryOptions,
  withRetry,
} from "./retry.ts";
export type { RetryOptions } from "./retry-types.ts";
export { createSandboxPool, DEFAULT_LIMITS } from "./sandbox/index.ts";
export type {
  BlockResult,
  HostCallOptions,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxPoolStats,
  SandboxSession,
  SandboxWorkerReport,
  SessionNesting,
} from "./sandbox/types.ts";
export { validateAddDocumentsInput } from "./store-input.ts";
export { tighterBudget } from "./tighter-budget.ts";
export { truncate } from "./truncate.ts";
export type * from "./types.ts";
