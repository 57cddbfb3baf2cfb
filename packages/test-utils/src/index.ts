export { type AbortProbe, abortableDelay, abortProbe, untilAborted } from "./abort-probe.ts";
export { type BareJsonServer, bareJsonServer } from "./bare-json-server.ts";
export {
  type ConformanceOptions,
  type ConformanceStoreHandle,
  describeVectorStoreConformance,
} from "./conformance.ts";
export {
  type CorpusDocument,
  conformanceCorpus,
  filterCases,
  invalidFilterCases,
  MATCH_ALL_QUERY,
  nonAsciiCorpus,
  nonAsciiQueries,
  rankingCases,
} from "./corpus.ts";
export { type EnginePerCollection, enginePerCollection } from "./engine-per-collection.ts";
export { fakeEmbedding, fakeEmbeddingTokens } from "./fake-embedding.ts";
export { type FilterGeneratorOptions, filterMismatches, generateFilters, prng } from "./filter-oracle.ts";
export { freePort } from "./free-port.ts";
export { InMemoryVectorStore } from "./memory-store.ts";
export { isCI, skipOrFailForMissing } from "./missing-service.ts";
export { makePdf } from "./pdf.ts";
export { eventually, findRedisServer, RedisServerProcess, redisServerMissing } from "./redis-server.ts";
export { mockUsage, type ScriptedReply, scriptedModel } from "./scripted-model.ts";
export { SEED_CORPUS, SEED_INVESTIGATION, seededEngine } from "./seeded-engine.ts";
export { SOURCE_HOOKS } from "./source-hooks-path.ts";
