import { createHash } from "node:crypto";
import path from "node:path";

/**
 * Stable id of chunk `index` of the file at `filePath`: the same file and chunk always get the
 * same id, so ingesting a file again updates its chunks instead of duplicating them.
 */
export function chunkId(filePath: string, index: number): string {
  const absolute = path.resolve(filePath).split(path.sep).join("/");
  const digest = createHash("sha256").update(absolute).digest("hex").slice(0, 24);
  return `${digest}-${index}`;
}
