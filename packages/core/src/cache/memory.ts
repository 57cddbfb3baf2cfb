import { LRUCache } from "lru-cache";
import { ConfigError } from "../errors.ts";
import { GENERATION_KEY_PREFIX } from "./generation.ts";
import { type Clock, checkKey, ttlToMs } from "./options.ts";
import { cloneJson, deserializeValue, hasTags, serializeValue } from "./serialize.ts";
import type { CacheStore } from "./types.ts";

interface Entry {
  /** The serialised value; null when `value` or `tree` holds it. */
  text: string | null;
  /**
   * A value whose serialised form is plain JSON (no tags: no undefined, Date, bigint…), parsed
   * once: handed out as a fresh copy ({@link cloneJson}), a quarter of the cost of parsing again.
   */
  tree?: unknown;
  /**
   * A value that reads back identical without a round trip (strings, booleans, null, finite
   * numbers other than -0), kept as is: e.g. the engine's store generation, read on every query.
   */
  value?: string | number | boolean | null;
  /** Epoch ms at which the entry stops being served; null = never. */
  expiresAt: number | null;
}

export interface InMemoryCacheOptions {
  /**
   * Most entries kept; the least recently used goes first. Default 1000. The engine's store
   * generations (keys starting `deeprecall:generation:`, one per store) are kept apart and never
   * evicted to make room, so a full cache cannot forget that a store was written to.
   */
  maxEntries?: number;
  /** Default time to live in seconds; 0 = never expires. Default 3600. */
  ttlSeconds?: number;
  /** Clock in ms (for tests). Default `Date.now`. */
  now?: Clock;
}

/** True for values that `deserializeValue(serializeValue(v))` gives back identical (Object.is). */
function isPlain(value: unknown): value is string | number | boolean | null {
  const type = typeof value;
  if (type === "number") return Number.isFinite(value) && !Object.is(value, -0);
  return type === "string" || type === "boolean" || value === null;
}

/**
 * An in-process LRU cache with a TTL per entry. Values are stored serialised (plain JSON values
 * as the tree parsed from it, copied on each `get`), so a caller that mutates a value after `set`
 * (or after `get`) never changes what the cache holds, and values come back exactly as
 * `SqliteCache` would return them. Store generations (see
 * `GENERATION_KEY_PREFIX`) live outside the LRU bound: they are never evicted, only expired,
 * deleted or cleared.
 */
export class InMemoryCache implements CacheStore {
  readonly maxEntries: number;
  readonly ttlSeconds: number;
  readonly #lru: LRUCache<string, Entry>;
  /** Store generations: outside the LRU, so never evicted by other entries. */
  readonly #pinned = new Map<string, Entry>();
  readonly #defaultTtlMs: number;
  readonly #now: Clock;

  constructor(options: InMemoryCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 1000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigError(`maxEntries must be a positive integer, got ${String(maxEntries)}`, {
        field: "maxEntries",
      });
    }
    this.maxEntries = maxEntries;
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.#defaultTtlMs = ttlToMs(this.ttlSeconds, "ttlSeconds");
    this.#now = options.now ?? Date.now;
    // Expiry is checked here against `expiresAt` (same rule as SqliteCache: expired once
    // now >= expiresAt); lru-cache only bounds the size.
    this.#lru = new LRUCache<string, Entry>({ max: maxEntries });
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key);
    const entry = (this.#isPinned(key) ? this.#pinned : this.#lru).get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= this.#now()) {
      this.#remove(key);
      return undefined;
    }
    if (entry.text !== null) return deserializeValue<T>(entry.text);
    return (entry.tree !== undefined ? cloneJson(entry.tree) : entry.value) as T;
  }

  async set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    checkKey(key);
    const ttl = ttlSeconds === undefined ? this.#defaultTtlMs : ttlToMs(ttlSeconds, "ttlSeconds");
    const expiresAt = ttl === 0 ? null : this.#now() + ttl;
    let entry: Entry;
    if (isPlain(value)) entry = { text: null, value, expiresAt };
    else {
      const text = serializeValue(value);
      entry = hasTags(text) ? { text, expiresAt } : { text: null, tree: JSON.parse(text), expiresAt };
    }
    if (this.#isPinned(key)) this.#pinned.set(key, entry);
    else this.#lru.set(key, entry);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.#remove(key);
  }

  async clear(): Promise<void> {
    this.#lru.clear();
    this.#pinned.clear();
  }

  /** Number of entries held, store generations included (expired ones may still be counted until touched). */
  get size(): number {
    return this.#lru.size + this.#pinned.size;
  }

  async close(): Promise<void> {
    await this.clear();
  }

  #isPinned(key: string): boolean {
    return key.startsWith(GENERATION_KEY_PREFIX);
  }

  #remove(key: string): void {
    if (this.#isPinned(key)) this.#pinned.delete(key);
    else this.#lru.delete(key);
  }
}
