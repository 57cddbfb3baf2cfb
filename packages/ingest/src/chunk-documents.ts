import { type ChunkOptions, chunkText } from "./chunk.ts";
import type { FileKind } from "./loaders.ts";

/**
 * The metadata of every chunk of a file, the same keys whether it came from `deeprecall ingest`
 * or an upload: `source` (where it came from: a path label, or the uploaded file's name),
 * `filename` (the base name), `chunk` (0-based position) of `chunks`, and the loader's `type`.
 */
export type ChunkMetadata = {
  source: string;
  filename: string;
  chunk: number;
  chunks: number;
  type: FileKind;
};

export interface ChunkDocumentsOptions extends ChunkOptions {
  /** The `source` metadata of every chunk. */
  source: string;
  /** The `filename` metadata of every chunk (a base name). */
  filename: string;
}

/** A file's chunks in the shape `addDocuments` takes (ids are the caller's: see `chunkId`, `uploadChunkId`). */
export interface ChunkDocuments {
  documents: string[];
  metadatas: ChunkMetadata[];
}

/**
 * One loaded file's text cut into chunks (`chunkText`), each with its metadata. Text that is
 * only whitespace gives no chunks.
 *
 * @throws RangeError for an invalid chunk size or overlap (see `chunkText`).
 */
export function chunkDocuments(
  loaded: { text: string; kind: FileKind },
  options: ChunkDocumentsOptions,
): ChunkDocuments {
  const documents = chunkText(loaded.text, options);
  const metadatas = documents.map(
    (_, chunk): ChunkMetadata => ({
      source: options.source,
      filename: options.filename,
      chunk,
      chunks: documents.length,
      type: loaded.kind,
    }),
  );
  return { documents, metadatas };
}
