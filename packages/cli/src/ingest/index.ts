export { type ChunkOptions, chunkText } from "./chunk.ts";
export { type CollectedFiles, type CollectOptions, collectFiles, inScope, SKIP_DIRS } from "./files.ts";
export { chunkId, legacyChunkId } from "./ids.ts";
export {
  type FileOutcome,
  type IngestEvents,
  type IngestOptions,
  type IngestSummary,
  ingestPaths,
  removePath,
  sourceLabel,
} from "./ingest.ts";
export {
  extractHtmlText,
  isSupportedFile,
  type LoadResult,
  loadFile,
  parseSource,
  readSource,
} from "./loaders.ts";
export { IngestManifest, type TrackedFile } from "./manifest.ts";
