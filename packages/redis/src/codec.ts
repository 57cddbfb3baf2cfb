/**
 * JSON that gives back what was put in. Plain `JSON.stringify` turns `undefined` in arrays and
 * `NaN`/`Infinity` into `null`, a `Date` into a string, drops `undefined` fields and throws on a
 * `bigint`; those are written as one-key tagged objects instead, so a cached value read back
 * deep-equals (even `toStrictEqual`) the value written.
 *
 * The tag key is `"$dr$t"`. A real object key made of `"$dr$t"` plus trailing `"$"`s gets one
 * more `"$"` appended (and removed on the way back), so user data is never mistaken for a tag. (Core keeps an equivalent private codec for its SQLite cache; once core
 * exports `serializeValue`/`deserializeValue` this file can be replaced by them.)
 */

const TAG = "$dr$t";
const TAG_LIKE = /^\$dr\$t\$*$/;

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // `target[key] = value` would run the __proto__ setter for a data key named "__proto__".
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function encode(value: unknown): unknown {
  switch (typeof value) {
    case "undefined":
      return { [TAG]: "u" };
    case "number":
      return Number.isFinite(value) ? value : { [TAG]: "n", v: String(value) };
    case "bigint":
      return { [TAG]: "b", v: value.toString() };
    case "function":
    case "symbol":
      return undefined;
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (value instanceof Date)
    return { [TAG]: "d", v: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  if (Array.isArray(value)) return value.map((item) => encode(item) ?? null);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return encode(toJSON.call(value));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === "function" || typeof field === "symbol") continue;
    define(out, TAG_LIKE.test(key) ? `${key}$` : key, encode(field));
  }
  return out;
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(decode);
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, TAG)) {
    const v = record.v;
    switch (record[TAG]) {
      case "u":
        return undefined;
      case "n":
        return Number(v);
      case "b":
        return BigInt(v as string);
      case "d":
        return new Date(v === null ? Number.NaN : (v as string));
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) {
    define(out, TAG_LIKE.test(key) ? key.slice(0, -1) : key, decode(field));
  }
  return out;
}

export function serialize(value: unknown): string {
  return JSON.stringify(encode(value)) ?? "null";
}

export function deserialize<T = unknown>(text: string): T {
  return decode(JSON.parse(text)) as T;
}
