export { type PineconeFilter, type TranslatedPineconeFilter, translatePineconeFilter } from "./filter.ts";
export {
  DEFAULT_NAMESPACE,
  type PineconeCollectionsOptions,
  PineconeStore,
  type PineconeStoreOptions,
} from "./pinecone-store.ts";
export { type PineconeMetric, pineconeScore } from "./scores.ts";
