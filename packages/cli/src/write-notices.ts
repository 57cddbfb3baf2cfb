import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type CacheStore, generationKey, type VectorStore } from "@deeprecall/core";
import type { DeepRecallConfig } from "./config/index.ts";
import { manifestFile } from "./ingest/manifest-file.ts";

/**
 * Write notices: how a running `deeprecall serve` learns that another process (`deeprecall
 * ingest`, `deeprecall delete`) changed a collection it serves. Chroma and Pinecone stores can be
 * written while they are served, but the server's engines cache search results (and answers)
 * under a store generation that only their own writes replace: after `ingest --sync` the server
 * kept answering from deleted and replaced chunks until the cache entry expired.
 *
 * The writer replaces a small notice file beside the ingest manifests after each write; the
 * server reads it whenever an engine reads its store generation, and starts a new generation
 * when the notice differs from the one it last saw.
 */

/** Where the notice of writes to a collection lives: beside its ingest manifest (`<manifest>.written`). */
export function writeNoticeFile(config: DeepRecallConfig, collection: string): string {
  return `${manifestFile(config, collection).replace(/\.json$/, "")}.written`;
}

function writeNotice(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // Replaced atomically, so a reader sees the old notice or the new one, never a torn one.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, crypto.randomUUID());
  renameSync(temp, file);
}

function readNotice(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // never written
  }
}

/**
 * `store` with a write notice left in `noticeFile` after every `addDocuments` and `delete`
 * (also a failed one: part of it may have been written). For commands that write a collection
 * a server may be serving.
 */
export function noticingWrites(store: VectorStore, noticeFile: string): VectorStore {
  const notice = () => {
    try {
      writeNotice(noticeFile);
    } catch {
      // A read-only persist directory: the write itself succeeded; a server may serve stale hits.
    }
  };
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      const method = (value as (...a: unknown[]) => unknown).bind(target);
      if (prop !== "addDocuments" && prop !== "delete") return method;
      return async (...args: unknown[]) => {
        try {
          return await method(...args);
        } finally {
          notice();
        }
      };
    },
  });
}

/**
 * `cache` as the engines of a server see it: reading the generation of a store whose notice file
 * (`noticeFileOf(storeName)`) changed since it was last read first stores a new generation, so
 * nothing cached before another process's write is served after it. The last notice seen is kept
 * in the cache too, so a server restarted on a persistent cache (sqlite, Redis) notices writes made
 * while it was down. With `firstReadOnly` (a local store, which the server locks: while it serves,
 * every write goes through it) each store's notice is read once, on its first generation read,
 * instead of on every query.
 */
export function noticingCache(
  cache: CacheStore,
  noticeFileOf: (storeName: string) => string | undefined,
  options: { firstReadOnly?: boolean } = {},
): CacheStore {
  const seen = new Map<string, string>(); // store name -> notice last seen by this process
  const prefix = generationKey("");
  const check = async (key: string) => {
    if (!key.startsWith(prefix)) return;
    const storeName = key.slice(prefix.length);
    if (options.firstReadOnly && seen.has(storeName)) return;
    const file = noticeFileOf(storeName);
    if (file === undefined) return;
    const notice = readNotice(file);
    if (seen.get(storeName) === notice) return;
    const noticeKey = `${key}:write-notice`;
    const stored = (await cache.get<string>(noticeKey).catch(() => undefined)) ?? "";
    if (stored !== notice) {
      await cache.set(key, crypto.randomUUID(), 0);
      await cache.set(noticeKey, notice, 0);
    }
    seen.set(storeName, notice);
  };
  return {
    get: async <T>(key: string) => {
      await check(key).catch(() => {});
      return cache.get<T>(key);
    },
    set: (key, value, ttl) => cache.set(key, value, ttl),
    delete: (key) => cache.delete(key),
    clear: () => cache.clear(),
    ...(cache.close ? { close: () => cache.close!() } : {}),
  };
}
