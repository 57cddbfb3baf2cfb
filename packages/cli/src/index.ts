export { type BundledChroma, freePort, startBundledChroma } from "./chroma-server.ts";
export { buildProgram, type MainOptions, main } from "./cli.ts";
export {
  budgetFromConfig,
  type CollectionsHandle,
  type ComposeOptions,
  type Composition,
  composeEngine,
  createCache,
  type OpenStoreOptions,
  openStoreCollections,
  openVectorStore,
  type StoreHandle,
  type StoreInfo,
} from "./compose.ts";
export * from "./config/index.ts";
export * from "./ingest/index.ts";
export {
  createEmbeddingModel,
  createLanguageModels,
  embeddingModelId,
  type LanguageModels,
  UnconfiguredLanguageModel,
} from "./models.ts";
export {
  type AdvertisedModel,
  advertisedModel,
  advertiseLocalServer,
  type ServerAdvert,
} from "./server-advert.ts";
export {
  type LogEntry,
  type RunningServer,
  type StartServerOptions,
  servedCollections,
  serverOptionsFromConfig,
  startServer,
} from "./server-runner.ts";
