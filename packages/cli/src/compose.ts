import path from "node:path";
import {
  type CacheStore,
  ConfigError,
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
import { type OpenStoreOptions, openVectorStore, type StoreInfo } from "./stores.ts";

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
 * ends a run exactly as a request's `"budget": {"max_iterations": N}` does. `maxTime` has a default
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
  /** Closes the engine (sandbox pool, cache, store) and stops a bundled Chroma server. */
  close(): Promise<void>;
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
  const handle = await openVectorStore(config, options);
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
    const engine = new DeepRecallEngine({
      vectorStore: handle.store,
      model: llm.model,
      ...(llm.subModel ? { subModel: llm.subModel } : {}),
      strategy: config.strategy,
      ...(config.maxIterations !== undefined ? { maxIterations: config.maxIterations } : {}),
      ...(config.maxDepth !== undefined ? { maxDepth: config.maxDepth } : {}),
      topK: config.topK,
      ...(budget ? { budget } : {}),
      callbacks,
      // Search results are cached; whole answers only with --cache-answers on.
      ...(cache
        ? { cache, cacheTtlSeconds: config.cacheTtl, cacheAnswers: config.cacheAnswers === "on" }
        : {}),
    });
    const embeddingModelName = embeddingModelId(config);
    let closed: Promise<void> | undefined;
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
      close: () => {
        closed ??= (async () => {
          try {
            await engine.close(); // closes the sandbox pool, the cache and the store
          } finally {
            await redis?.close().catch(() => {});
            await handle.stopServices();
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
