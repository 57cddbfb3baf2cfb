import path from "node:path";
import {
  type CacheStore,
  ConfigError,
  createSandboxPool,
  type DeepRecallCallbacks,
  DeepRecallEngine,
  type EmbeddingModel,
  InMemoryCache,
  JsonlCallback,
  type QueryBudget,
  SqliteCache,
  UsageTrackingCallback,
  type VectorStore,
} from "@deeprecall/core";
import { createRedisState, type RedisState } from "@deeprecall/redis";
import type { DeepRecallConfig } from "./config/index.ts";
import { createLanguageModels, embeddingModelId, type LanguageModels } from "./models.ts";
import { openServedStore } from "./served-store.ts";
import { type CollectionsHandle, type OpenStoreOptions, openVectorStore, type StoreInfo } from "./stores.ts";
import { noticingCache, writeNoticeFile } from "./write-notices.ts";

export {
  type CollectionsHandle,
  type OpenStoreOptions,
  openStoreCollections,
  openVectorStore,
  type StoreHandle,
  type StoreInfo,
} from "./stores.ts";

/**
 * The per-query budget from --max-iterations, --max-searches, --max-tokens, --max-time, --max-cost.
 * `--max-iterations N` becomes `budget.maxIterations` (as well as the engine's `maxIterations`), so it
 * ends a run exactly as a request's `"deeprecall": {"budget": {"max_iterations": N}}` does. `maxTime` has a default
 * (300 s), so a configuration from `resolveConfig` always yields a time budget.
 */
export function budgetFromConfig(config: DeepRecallConfig): QueryBudget | undefined {
  const budget: QueryBudget = {
    ...(config.maxIterations !== undefined ? { maxIterations: config.maxIterations } : {}),
    ...(config.maxSearches !== undefined ? { maxSearchCalls: config.maxSearches } : {}),
    ...(config.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
    ...(config.maxTime !== undefined ? { maxTimeSeconds: config.maxTime } : {}),
    ...(config.maxCost !== undefined ? { maxCostUsd: config.maxCost } : {}),
  };
  return Object.keys(budget).length > 0 ? budget : undefined;
}

export function createCache(config: DeepRecallConfig): CacheStore | undefined {
  switch (config.cache) {
    case "none":
      return undefined;
    case "memory":
      return new InMemoryCache({ ttlSeconds: config.cacheTtl });
    case "sqlite":
      return new SqliteCache({
        path: path.join(config.persistDir, "cache.sqlite"),
        ttlSeconds: config.cacheTtl,
      });
  }
}

export interface ComposeOptions extends OpenStoreOptions {
  /** Fail with a ConfigError naming the missing key instead of starting with the 503 stand-in (query, benchmark). */
  requireLlm?: boolean;
  /** Extra callbacks, after the usage tracker (and the JSONL log when --log-file is set). */
  callbacks?: DeepRecallCallbacks[];
  /**
   * Search a local store that a running `deeprecall serve` holds through that server's HTTP API
   * instead of failing on its lock (query, mcp, benchmark; never serve itself).
   */
  throughServer?: boolean;
}

export interface Composition {
  config: DeepRecallConfig;
  engine: DeepRecallEngine;
  store: VectorStore;
  storeInfo: StoreInfo;
  llm: LanguageModels;
  /** The --embedding-model the store embeds with; `serve` offers it at POST /v1/embeddings. */
  embedding?: EmbeddingModel;
  /** The id clients send to POST /v1/embeddings: --embedding-model without its provider prefix. */
  embeddingModelName?: string;
  /** Always registered, so GET /v1/usage reports: fleet-wide in Redis with --redis-url, else in-process. */
  usage: UsageTrackingCallback | RedisState["usageTracker"];
  /** Shared state in Redis (rate-limit store, cache, usage) when --redis-url is set. */
  redis?: RedisState;
  /** The collection `engine` answers from (--collection; Pinecone: the namespace). */
  collection: string;
  /** The store's backend with all its collections (list them with `collections.collections.listCollections()`). */
  collections: CollectionsHandle;
  /**
   * The engine of collection `name`, created on first use and kept until `close()`: the same
   * model, callbacks, budget, sandbox pool and cache as `engine` (its store is named after the
   * collection, so cache keys never mix collections). `name` = `collection` gives `engine`.
   * Throws a ConfigError for a name that is not a valid collection name.
   */
  engineFor(name: string): DeepRecallEngine;
  /** Closes every engine, the shared sandbox pool and cache, the stores and a bundled Chroma server. */
  close(): Promise<void>;
}

/** What a collection may be called (the --collection rule): letters, digits, '.', '_', '-'. */
export const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The store under a name of its own (`local:<collection>`) when its backend names every
 * collection alike (the local store is always "local", whatever its collection): the store name
 * is part of every cache key, and collections share one cache. A store whose name already differs
 * from the default collection's (Chroma, Pinecone) is returned as it is.
 */
function namedStore(store: VectorStore, defaultName: string, collection: string): VectorStore {
  if (store.name !== defaultName) return store;
  const name = `${store.name}:${collection}`;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "name") return name;
      const value = Reflect.get(target, prop, target) as unknown;
      // Methods run on the store itself (its private fields are not on the proxy).
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The shared cache as each engine sees it: closing an engine does not close it. */
function borrowedCache(cache: CacheStore): CacheStore {
  return {
    get: (key) => cache.get(key),
    set: (key, value, ttl) => cache.set(key, value, ttl),
    delete: (key) => cache.delete(key),
    clear: () => cache.clear(),
    close: async () => {},
  };
}

/**
 * The one wiring from a configuration to a running engine, shared by the CLI and apps/server:
 * LLM models, store, cache, callbacks (always a usage tracker), budget, engine.
 */
export async function composeEngine(
  config: DeepRecallConfig,
  options: ComposeOptions = {},
): Promise<Composition> {
  const llm = createLanguageModels(config);
  if (options.requireLlm && !llm.configured) {
    throw new ConfigError(llm.missingMessage!, { field: llm.missingKeyVariable! });
  }
  const served = options.throughServer
    ? await openServedStore(config, config.collection, {
        verb: "searching through",
        ...(options.log ? { log: options.log } : {}),
      })
    : undefined;
  const handle = served ?? (await openVectorStore(config, options));
  try {
    // With Redis, the cache and the usage totals live there so every replica sees the same.
    const redis = config.redisUrl
      ? createRedisState({
          url: config.redisUrl,
          failOpen: config.redisFailure !== "closed",
          cacheTtlSeconds: config.cacheTtl,
          ...(options.log
            ? {
                logger: (entry: { level: string; message: string }) => {
                  if (entry.level !== "info") options.log!(`${entry.level}: ${entry.message}`);
                },
              }
            : {}),
        })
      : undefined;
    const usage = redis ? redis.usageTracker : new UsageTrackingCallback();
    const callbacks: DeepRecallCallbacks[] = [usage];
    if (config.logFile) callbacks.push(new JsonlCallback({ path: config.logFile }));
    callbacks.push(...(options.callbacks ?? []));
    const cache = redis && config.cache !== "none" ? redis.cache : createCache(config);
    const budget = budgetFromConfig(config);
    // One sandbox pool and one cache for every collection's engine (workers start on first use).
    const sandbox = createSandboxPool(
      config.sandboxWorkers !== undefined ? { maxWorkers: config.sandboxWorkers } : {},
    );
    // Store name -> where other processes (ingest, delete) leave notice of their writes to it.
    const noticeFiles = new Map<string, string>([
      [handle.store.name, writeNoticeFile(config, handle.collection)],
    ]);
    const sharedCache = cache
      ? noticingCache(borrowedCache(cache), (storeName) => noticeFiles.get(storeName), {
          // A served local store is locked: only its notice from before this process matters.
          firstReadOnly: config.vectorstore === "local",
        })
      : undefined;
    const newEngine = (vectorStore: VectorStore) =>
      new DeepRecallEngine({
        vectorStore,
        model: llm.model,
        ...(llm.subModel ? { subModel: llm.subModel } : {}),
        strategy: config.strategy,
        ...(config.maxIterations !== undefined ? { maxIterations: config.maxIterations } : {}),
        ...(config.maxDepth !== undefined ? { maxDepth: config.maxDepth } : {}),
        topK: config.topK,
        ...(budget ? { budget } : {}),
        callbacks,
        sandbox,
        // Search results are cached; whole answers only with --cache-answers on.
        ...(sharedCache
          ? {
              cache: sharedCache,
              cacheTtlSeconds: config.cacheTtl,
              cacheAnswers: config.cacheAnswers === "on",
            }
          : {}),
      });
    const engine = newEngine(handle.store);
    const engines = new Map<string, DeepRecallEngine>([[handle.collection, engine]]);
    const embeddingModelName = embeddingModelId(config);
    let closed: Promise<void> | undefined;
    const engineFor = (name: string): DeepRecallEngine => {
      let found = engines.get(name);
      if (found) return found;
      if (closed) throw new ConfigError("The engines were closed", { field: "collection" });
      if (typeof name !== "string" || !COLLECTION_NAME.test(name)) {
        throw new ConfigError(
          `Invalid collection name '${String(name).slice(0, 200)}': use letters, digits, '.', '_' or '-' (max 128, starting with a letter or digit)`,
          { field: "collection" },
        );
      }
      const store = namedStore(handle.collections.collections.open(name), handle.store.name, name);
      noticeFiles.set(store.name, writeNoticeFile(config, name));
      found = newEngine(store);
      engines.set(name, found);
      return found;
    };
    return {
      config,
      engine,
      store: handle.store,
      storeInfo: handle.info,
      llm,
      ...(handle.embeddingModel ? { embedding: handle.embeddingModel } : {}),
      ...(handle.embeddingModel && embeddingModelName ? { embeddingModelName } : {}),
      usage,
      ...(redis ? { redis } : {}),
      collection: handle.collection,
      collections: handle.collections,
      engineFor,
      close: () => {
        closed ??= (async () => {
          try {
            // Each engine closes its store; the pool and the cache are shared, closed once after.
            await Promise.all([...engines.values()].map((e) => e.close()));
            await sandbox.close();
            await cache?.close?.();
          } finally {
            await redis?.close().catch(() => {});
            await handle.close();
          }
        })();
        return closed;
      },
    };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}
