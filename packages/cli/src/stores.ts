import path from "node:path";
import {
  ConfigError,
  type EmbeddingModel,
  type VectorStore,
  type VectorStoreCollections,
} from "@deeprecall/core";
import { type BundledChroma, startBundledChroma } from "./chroma-server.ts";
import type { DeepRecallConfig } from "./config/index.ts";
import { createEmbeddingModel } from "./models.ts";

export interface StoreInfo {
  kind: DeepRecallConfig["vectorstore"];
  /** One line for humans, e.g. "local store in /data/.deeprecall (collection deeprecall)". */
  description: string;
  /** True when the store computes dense vectors with --embedding-model. */
  embedding: boolean;
}

export interface StoreHandle {
  store: VectorStore;
  /** The collection `store` holds. */
  collection: string;
  /** The backend with all its collections (`store` is `collections.collections.open(collection)`). */
  collections: CollectionsHandle;
  info: StoreInfo;
  /** The --embedding-model the store embeds with, if any. */
  embeddingModel?: EmbeddingModel;
  /** Set when the store is reached through a running `deeprecall serve` (its URL). */
  serverUrl?: string;
  /** Closes the store and stops a bundled Chroma server if one was started. */
  close(): Promise<void>;
  /** Stops only what was started for the store (a bundled Chroma server), for when the engine closed the store. */
  stopServices(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Progress lines (e.g. "Starting the bundled Chroma server..."). */
  log?: (line: string) => void;
}

export interface CollectionsHandle {
  /** List the store's collections with counts; open the store of one (shared until closed). */
  collections: VectorStoreCollections;
  /** The collection the configuration names: --collection (Pinecone: --pinecone-namespace, else "__default__"). */
  defaultCollection: string;
  kind: DeepRecallConfig["vectorstore"];
  /** One line for humans about the backend, e.g. "local store in /data/.deeprecall". */
  description: string;
  /** True when stores compute dense vectors with --embedding-model. */
  embedding: boolean;
  /** The --embedding-model the stores embed with (also what `serve` offers at POST /v1/embeddings). */
  embeddingModel?: EmbeddingModel;
  /** Closes every store `collections.open` returned and stops a bundled Chroma server. */
  close(): Promise<void>;
  /** Stops only what was started (a bundled Chroma server), for when the stores were closed elsewhere. */
  stopServices(): Promise<void>;
}

/**
 * Opens the configured backend with all its collections (local collections under --persist-dir,
 * Chroma collections, Pinecone namespaces), starting a bundled Chroma server when needed. The
 * server serves one engine per collection from `collections.open(name)`; `listCollections()`
 * gives the names and counts for its model list.
 */
export async function openStoreCollections(
  config: DeepRecallConfig,
  options: OpenStoreOptions = {},
): Promise<CollectionsHandle> {
  const embedding = createEmbeddingModel(config);
  const embeddingNote = config.embeddingModel ? `embeddings ${config.embeddingModel}` : "";
  const withEmbedding = embedding ? { embedding } : {};
  const withEmbeddingModel = embedding ? { embeddingModel: embedding } : {};
  switch (config.vectorstore) {
    case "local": {
      const { LocalStore } = await import("@deeprecall/vectorstore-local");
      const collections = LocalStore.collections({ directory: config.persistDir, ...withEmbedding });
      return {
        collections,
        defaultCollection: config.collection,
        kind: "local",
        description: `local store in ${config.persistDir}`,
        embedding: embedding !== undefined,
        ...withEmbeddingModel,
        close: () => collections.close(),
        stopServices: async () => {},
      };
    }
    case "chroma": {
      const { ChromaStore } = await import("@deeprecall/vectorstore-chroma");
      let bundled: BundledChroma | undefined;
      let url = config.chromaUrl;
      if (!url) {
        bundled = await startBundledChroma(
          path.join(config.persistDir, "chroma"),
          options.log ? { log: options.log } : {},
        );
        url = bundled.url;
      }
      const collections = ChromaStore.collections({ url, ...withEmbedding });
      return {
        collections,
        defaultCollection: config.collection,
        kind: "chroma",
        description: `chroma at ${url}${bundled ? ` (bundled, data in ${bundled.path})` : ""}`,
        embedding: embedding !== undefined,
        ...withEmbeddingModel,
        close: async () => {
          try {
            await collections.close();
          } finally {
            await bundled?.stop();
          }
        },
        stopServices: async () => {
          await bundled?.stop();
        },
      };
    }
    case "pinecone": {
      if (!config.pineconeApiKey) {
        throw new ConfigError("PINECONE_API_KEY is not set (needed for --vectorstore pinecone)", {
          field: "pineconeApiKey",
        });
      }
      const { DEFAULT_NAMESPACE, PineconeStore } = await import("@deeprecall/vectorstore-pinecone");
      const collections = PineconeStore.collections({
        apiKey: config.pineconeApiKey,
        index: config.pineconeIndex!,
        ...withEmbedding,
      });
      return {
        collections,
        defaultCollection: config.pineconeNamespace ?? DEFAULT_NAMESPACE,
        kind: "pinecone",
        description: `pinecone index ${config.pineconeIndex}${embeddingNote ? `, ${embeddingNote}` : ""}`,
        embedding: embedding !== undefined,
        ...withEmbeddingModel,
        close: () => collections.close(),
        stopServices: async () => {},
      };
    }
  }
}

/** One line for humans about one collection of the store. */
function describeCollection(handle: CollectionsHandle, config: DeepRecallConfig, collection: string): string {
  const embeddingNote = config.embeddingModel ? `, embeddings ${config.embeddingModel}` : "";
  if (handle.kind === "pinecone") {
    return `${handle.description}${collection === config.pineconeNamespace ? ` namespace ${collection}` : ""}`;
  }
  return `${handle.description} (collection ${collection}${embeddingNote || (handle.kind === "local" ? ", BM25 only" : "")})`;
}

/**
 * Opens the configured vector store: the store of `collection` (default: the configured one),
 * starting a bundled Chroma server when needed.
 */
export async function openVectorStore(
  config: DeepRecallConfig,
  options: OpenStoreOptions & { collection?: string } = {},
): Promise<StoreHandle> {
  const handle = await openStoreCollections(config, options);
  const collection = options.collection ?? handle.defaultCollection;
  let store: VectorStore;
  try {
    store = handle.collections.open(collection);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    store,
    collection,
    collections: handle,
    info: {
      kind: handle.kind,
      description: describeCollection(handle, config, collection),
      embedding: handle.embedding,
    },
    ...(handle.embeddingModel ? { embeddingModel: handle.embeddingModel } : {}),
    close: () => handle.close(),
    stopServices: () => handle.stopServices(),
  };
}
