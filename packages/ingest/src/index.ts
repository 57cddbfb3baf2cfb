export { formatBytes } from "@deeprecall/core/format-bytes";
export { type ChunkOptions, chunkText } from "./chunk.ts";
export {
  type ChunkDocuments,
  type ChunkDocumentsOptions,
  type ChunkMetadata,
  chunkDocuments,
} from "./chunk-documents.ts";
export { DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_FILE_SIZE } from "./defaults.ts";
export { chunkId, isUploadChunkOf, legacyChunkId, uploadChunkId, uploadIdPrefix } from "./ids.ts";
export {
  CODE_EXTENSIONS,
  extractHtmlText,
  type FileKind,
  fileKind,
  HTML_EXTENSIONS,
  isSupportedFile,
  type LoadOptions,
  type LoadResult,
  loadBytes,
  loadFile,
  PDF_EXTENSIONS,
  parseSource,
  type ReadResult,
  readSource,
  sha256Hex,
  TEXT_EXTENSIONS,
} from "./loaders.ts";
export { type PreparedUpload, type PrepareUploadOptions, prepareUpload, uploadName } from "./upload.ts";
