import { createHash } from "node:crypto";
import path from "node:path";

const normalise = (filePath: string) => path.resolve(filePath).split(path.sep).join("/");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Id of chunk `index` of one version of a file: a hash of the collection, the file's absolute
 * path and its content hash, then the index (`<24 hex>-<index>`). Re-ingesting the same content
 * gives the same ids (an update in place); a changed file gets new ids, so its new chunks are
 * written beside the old ones, which are deleted only afterwards: an interrupted sync never
 * mixes two versions.
 */
export function chunkId(collection: string, filePath: string, contentHash: string, index: number): string {
  const digest = sha256(`${collection}\u0000${normalise(filePath)}\u0000${contentHash}`).slice(0, 24);
  return `${digest}-${index}`;
}

/** The ids ingests wrote before manifests tracked content hashes (a hash of the path only). */
export function legacyChunkId(filePath: string, index: number): string {
  return `${sha256(normalise(filePath)).slice(0, 24)}-${index}`;
}

/**
 * The first 12 hex digits of every chunk id of an uploaded file called `fileName` in
 * `collection`, whatever its content: how the chunks of an earlier version of that file are
 * recognised (an upload has no manifest that remembers them).
 */
export function uploadIdPrefix(collection: string, fileName: string): string {
  return sha256(`${collection}\u0000upload\u0000${fileName}`).slice(0, 12);
}

/**
 * Id of chunk `index` of an uploaded file (a base name, no path) with content hash
 * `contentHash`, in the shape of `chunkId` (`<24 hex>-<index>`): 12 hex digits from the
 * collection and the name (`uploadIdPrefix`), 12 from the content too. The same file uploaded
 * again gets the same ids (no duplicates); a new version of it gets new ids with the same prefix,
 * so its old chunks can be found and deleted once the new ones are written.
 */
export function uploadChunkId(
  collection: string,
  fileName: string,
  contentHash: string,
  index: number,
): string {
  const content = sha256(`${collection}\u0000upload\u0000${fileName}\u0000${contentHash}`).slice(0, 12);
  return `${uploadIdPrefix(collection, fileName)}${content}-${index}`;
}

/** True when `id` is the id of a chunk of some version of the upload `fileName` in `collection`. */
export function isUploadChunkOf(id: string, collection: string, fileName: string): boolean {
  return /^[0-9a-f]{24}-\d+$/.test(id) && id.startsWith(uploadIdPrefix(collection, fileName));
}
