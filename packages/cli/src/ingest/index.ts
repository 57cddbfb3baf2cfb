// Loaders, chunking and chunk ids live in @deeprecall/ingest (the server's uploads use them
// too); re-exported here so the CLI's public API is unchanged.
export {
  type ChunkOptions,
  chunkId,
  chunkText,
  extractHtmlText,
  isSupportedFile,
  type LoadResult,
  legacyChunkId,
  loadFile,
  parseSource,
  readSource,
} from "@deeprecall/ingest";
export { type CollectedFiles, type CollectOptions, collectFiles, inScope, SKIP_DIRS } from "./files.ts";
export {
  type FileOutcome,
  type IngestEvents,
  type IngestOptions,
  type IngestSummary,
  ingestPaths,
  removePath,
  sourceLabel,
} from "./ingest.ts";
export { IngestManifest, type TrackedFile } from "./manifest.ts";
