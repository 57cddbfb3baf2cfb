export { type ChunkOptions, chunkText } from "./chunk.ts";
export { type CollectedFiles, collectFiles } from "./files.ts";
export { chunkId } from "./ids.ts";
export {
  type IngestEvents,
  type IngestOptions,
  type IngestSummary,
  ingestPaths,
  sourceLabel,
} from "./ingest.ts";
export { extractHtmlText, isSupportedFile, type LoadResult, loadFile } from "./loaders.ts";
