/**
 * The store generation: a value kept in the cache under {@link generationKey} and made part of
 * every key the engine caches under, replaced after every write to the store, so that no entry
 * cached before a write is ever served after it.
 *
 * A generation is an opaque token (a random UUID), not a counter: when the entry is missing (a
 * cache that evicted or expired it, a cleared cache), the next reader starts a new random one
 * instead of falling back to a default that entries cached long ago could still match.
 */

/** Keys of store generations start with this. `InMemoryCache` never evicts them to make room. */
export const GENERATION_KEY_PREFIX = "deeprecall:generation:";

/** The cache key of a store's generation. */
export function generationKey(storeName: string): string {
  return `${GENERATION_KEY_PREFIX}${storeName}`;
}

/** A generation no earlier one equals. */
export function newGeneration(): string {
  return crypto.randomUUID();
}
