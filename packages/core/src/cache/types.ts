/**
 * A key-value cache for query results and search results. Values are JSON-serialisable;
 * a value read back must deep-equal the value written.
 */
export interface CacheStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
  close?(): Promise<void>;
}
