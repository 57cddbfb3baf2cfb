import path from "node:path";
import { ConfigError, type VectorStore } from "@deeprecall/core";
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
  info: StoreInfo;
  /** Closes the store and stops a bundled Chroma server if one was started. */
  close(): Promise<void>;
  /** Stops only what was started for the store (a bundled Chroma server), for when the engine closed the store. */
  stopServices(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Progress lines (e.g. "Starting the bundled Chroma server..."). */
  log?: (line: string) => void;
}

/** Opens the configured vector store (starting a bundled Chroma server when needed). */
export async function openVectorStore(
  config: DeepRecallConfig,
  options: OpenStoreOptions = {},
): Promise<StoreHandle> {
  const embedding = createEmbeddingModel(config);
  const embeddingNote = config.embeddingModel ? `, embeddings ${config.embeddingModel}` : "";
  switch (config.vectorstore) {
    case "local": {
      const { LocalStore } = await import("@deeprecall/vectorstore-local");
      const store = new LocalStore({
        directory: config.persistDir,
        collection: config.collection,
        ...(embedding ? { embedding } : {}),
      });
      return {
        store,
        info: {
          kind: "local",
          description: `local store in ${config.persistDir} (collection ${config.collection}${embeddingNote || ", BM25 only"})`,
          embedding: embedding !== undefined,
        },
        close: async () => {
          await store.close?.();
        },
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
      const store = new ChromaStore({
        url,
        collection: config.collection,
        ...(embedding ? { embedding } : {}),
      });
      return {
        store,
        info: {
          kind: "chroma",
          description: `chroma at ${url}${bundled ? ` (bundled, data in ${bundled.path})` : ""} (collection ${config.collection}${embeddingNote})`,
          embedding: embedding !== undefined,
        },
        close: async () => {
          try {
            await store.close?.();
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
      const { PineconeStore } = await import("@deeprecall/vectorstore-pinecone");
      const store = new PineconeStore({
        apiKey: config.pineconeApiKey,
        index: config.pineconeIndex!,
        ...(config.pineconeNamespace ? { namespace: config.pineconeNamespace } : {}),
        ...(embedding ? { embedding } : {}),
      });
      return {
        store,
        info: {
          kind: "pinecone",
          description: `pinecone index ${config.pineconeIndex}${config.pineconeNamespace ? ` namespace ${config.pineconeNamespace}` : ""}${embeddingNote}`,
          embedding: embedding !== undefined,
        },
        close: async () => {
          await store.close?.();
        },
        stopServices: async () => {},
      };
    }
  }
}
