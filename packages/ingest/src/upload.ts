import type { ChunkOptions } from "./chunk.ts";
import { type ChunkMetadata, chunkDocuments } from "./chunk-documents.ts";
import { uploadChunkId } from "./ids.ts";
import { type FileKind, type LoadOptions, loadBytes, sha256Hex } from "./loaders.ts";

/** Longest file name kept, in characters (most file systems stop at 255 bytes). */
const MAX_NAME = 255;

/**
 * The name an uploaded file is stored under: its base name (anything up to the last `/` or `\`
 * is dropped, so a client cannot name a path), trimmed. Refused: an empty name, `.` or `..`,
 * control characters, or more than 255 characters.
 */
export function uploadName(raw: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = (raw.split(/[/\\]/).pop() ?? "").trim();
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  if (name === "" || name === "." || name === "..") {
    return { ok: false, reason: `invalid file name ${shown}: no base name` };
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    return { ok: false, reason: `invalid file name ${shown}: control characters` };
  }
  if (name.length > MAX_NAME)
    return { ok: false, reason: `invalid file name: longer than ${MAX_NAME} characters` };
  return { ok: true, name };
}

export interface PrepareUploadOptions extends ChunkOptions, LoadOptions {
  /** The collection the chunks go to: part of every chunk id. */
  collection: string;
}

/** An uploaded file ready for `addDocuments`, or why it was refused. */
export type PreparedUpload =
  | {
      ok: true;
      /** The name it is stored under (`uploadName`): its `source` and `filename` metadata. */
      filename: string;
      /** Size of the upload in bytes. */
      bytes: number;
      /** SHA-256 of the bytes (hex). */
      sha256: string;
      kind: FileKind;
      documents: string[];
      metadatas: ChunkMetadata[];
      /** `uploadChunkId` of each chunk. */
      ids: string[];
    }
  | { ok: false; filename: string; bytes: number; reason: string };

/**
 * One uploaded file (`rawName` as the client sent it, and its bytes) through the loaders and
 * the chunker of `deeprecall ingest`: the same text, the same chunks and the same metadata keys
 * (`source` and `filename` are the file's base name), with ids from `uploadChunkId`. Never
 * throws for a bad file: an invalid name, an unsupported type, too large, not UTF-8, binary, an
 * unreadable PDF or no text come back as `{ ok: false, reason }`.
 *
 * @throws RangeError for an invalid chunk size or overlap (check them before).
 */
export async function prepareUpload(
  rawName: string,
  bytes: Uint8Array,
  options: PrepareUploadOptions,
): Promise<PreparedUpload> {
  const size = bytes.byteLength;
  const named = uploadName(rawName);
  if (!named.ok) return { ok: false, filename: rawName, bytes: size, reason: named.reason };
  const filename = named.name;
  const loadOptions: LoadOptions = { maxFileSize: options.maxFileSize };
  if (options.sizeHint !== undefined) loadOptions.sizeHint = options.sizeHint;
  const loaded = await loadBytes(filename, bytes, loadOptions);
  if (!loaded.ok) return { ok: false, filename, bytes: size, reason: loaded.reason };
  const { documents, metadatas } = chunkDocuments(loaded, {
    source: filename,
    filename,
    chunkSize: options.chunkSize,
    chunkOverlap: options.chunkOverlap,
  });
  if (documents.length === 0) return { ok: false, filename, bytes: size, reason: "no text" };
  const sha256 = sha256Hex(bytes);
  return {
    ok: true,
    filename,
    bytes: size,
    sha256,
    kind: loaded.kind,
    documents,
    metadatas,
    ids: documents.map((_, i) => uploadChunkId(options.collection, filename, sha256, i)),
  };
}
