export {
  BACKENDS,
  CACHES,
  DEFAULT_MAX_TIME_SECONDS,
  DEFAULT_MODELS,
  DEFAULTS,
  FIELD_NAMES,
  FIELDS,
  type FieldName,
  type FieldSpec,
  STRATEGIES,
  VECTORSTORES,
} from "./fields.ts";
export { maskList, maskSecret } from "./mask.ts";
export {
  CONFIG_FILE_NAME,
  type DeepRecallConfig,
  describeValueSource,
  llmKeyVariable,
  loadDotEnv,
  type ResolveConfigInput,
  type ResolvedConfig,
  resolveConfig,
  type SourceKind,
  type ValueSource,
} from "./resolve.ts";
export { configTemplate } from "./template.ts";
