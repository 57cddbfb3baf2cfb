export type { CallbackContext, DeepRecallCallbacks } from "./callbacks/types.ts";
export { assertDimensions, toEmbeddingFunction } from "./embeddings.ts";
export type { DeepRecallEngineApi, UsageReport } from "./engine-api.ts";
export {
  AbortError,
  BudgetExceededError,
  ConfigError,
  DeepRecallError,
  isAbortError,
  LLMProviderError,
  SandboxError,
  VectorStoreError,
} from "./errors.ts";
export { matchesFilter, validateFilter } from "./filters.ts";
export type {
  BlockResult,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxSession,
} from "./sandbox/types.ts";
export { validateAddDocumentsInput } from "./store-input.ts";
export type * from "./types.ts";
