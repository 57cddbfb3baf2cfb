import { createHash } from "node:crypto";
import path from "node:path";
import type { DeepRecallConfig } from "../config/index.ts";

/**
 * The manifest of the files ingested into one collection, kept with the store:
 * `<persist-dir>/.ingest/<backend>-<collection>.json` (Chroma: the server's address is part of it). A hidden
 * folder, so it can never be taken for a local collection.
 */
export function manifestFile(config: DeepRecallConfig, collection: string): string {
  const target =
    config.vectorstore === "pinecone"
      ? `pinecone-${config.pineconeIndex}-${collection}`
      : config.vectorstore === "chroma" && config.chromaUrl
        ? `chroma-${createHash("sha256").update(config.chromaUrl).digest("hex").slice(0, 8)}-${collection}`
        : `${config.vectorstore}-${collection}`;
  return path.join(config.persistDir, ".ingest", `${target.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}
