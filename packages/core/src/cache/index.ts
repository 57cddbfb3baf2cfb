export type { CachedAnswer, RecordedEvent } from "./answer-record.ts";
export { GENERATION_KEY_PREFIX, generationKey } from "./generation.ts";
export { cacheKey } from "./key.ts";
export { InMemoryCache, type InMemoryCacheOptions } from "./memory.ts";
export { deserializeValue, serializeValue } from "./serialize.ts";
export { SqliteCache, type SqliteCacheOptions } from "./sqlite.ts";
export type { CacheStore } from "./types.ts";
