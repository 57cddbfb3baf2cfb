import { createHash } from "node:crypto";
import path from "node:path";

const normalise = (filePath: string) => path.resolve(filePath).split(path.sep).join("/");

/**
 * Id of chunk `index` of one version of a file: a hash of the collection, the file's absolute
 * path and its content hash, then the index. Re-ingesting the same content gives the same ids
 * (an update in place); a changed file gets new ids, so its new chunks are written beside the old
 * ones, which are deleted only afterwards: an interrupted sync never mixes two versions.
 */
export function chunkId(collection: string, filePath: string, contentHash: string, index: number): string {
  const digest = createHash("sha256")
    .update(`${collection}\u0000${normalise(filePath)}\u0000${contentHash}`)
    .digest("hex")
    .slice(0, 24);
  return `${digest}-${index}`;
}

/** The ids ingests wrote before manifests tracked content hashes (a hash of the path only). */
export function legacyChunkId(filePath: string, index: number): string {
  const digest = createHash("sha256").update(normalise(filePath)).digest("hex").slice(0, 24);
  return `${digest}-${index}`;
}
