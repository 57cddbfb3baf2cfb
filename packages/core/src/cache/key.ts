import { hash } from "node:crypto";

function canonical(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  // Every non-JSON value becomes a one-key object whose key no other kind uses, so nothing collides.
  if (typeof value === "number") return Number.isFinite(value) ? value : { n: String(value) };
  if (typeof value === "bigint") return { b: value.toString() };
  if (typeof value === "function" || typeof value === "symbol") return null;
  if (value instanceof Date) return { d: Number.isNaN(value.getTime()) ? "invalid" : value.toISOString() };
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(canonical);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return canonical(toJSON.call(value));
  // Sorted pairs under the key "o": the order survives JSON.stringify, and the wrapper keeps an
  // object from ever encoding like an array of pairs. (Default sort: UTF-16 code-unit order.)
  const record = value as Record<string, unknown>;
  const pairs: [string, unknown][] = [];
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined || typeof field === "function" || typeof field === "symbol") continue;
    pairs.push([key, canonical(field)]);
  }
  return { o: pairs };
}

/**
 * A stable cache key: the SHA-256 (hex) of a canonical JSON of `parts`, with object keys sorted
 * at every depth and `undefined` fields dropped. The same query, model, topK and filters give
 * the same key whatever order their keys were written in; any difference in a value (including
 * the order of array items, which is meaningful) gives a different key.
 */
export function cacheKey(parts: Record<string, unknown>): string {
  // One-shot `crypto.hash` gives the same digest as createHash().update().digest(), without a
  // Hash object per key.
  return hash("sha256", JSON.stringify(canonical(parts)), "hex");
}

/**
 * The engine's own keys: the SHA-256 (hex) of a JSON array of `values` in a fixed order, each
 * value canonical as in {@link cacheKey}. The caller fixes the order (the first value should name
 * the kind of key), so no field names are serialised and nothing is sorted: a few microseconds
 * less than {@link cacheKey} on every cached query. Distinct tuples give distinct JSON, and an
 * array never encodes like `cacheKey`'s top-level object, so the two never collide.
 */
export function tupleCacheKey(values: readonly unknown[]): string {
  return hash("sha256", JSON.stringify(values.map(canonical)), "hex");
}
