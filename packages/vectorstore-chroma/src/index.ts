export { type ChromaCollectionsOptions, ChromaStore, type ChromaStoreOptions } from "./chroma-store.ts";
export { chromaDefaultEmbedding, DEFAULT_EMBED_PACKAGE } from "./default-embedding.ts";
export { type TranslatedFilter, translateFilter } from "./filter.ts";
export { type ChromaSpace, distanceToScore } from "./scores.ts";
