import { ConfigError } from "./errors.ts";
import { isPlainObject } from "./is-plain-object.ts";
import type { MetadataFilter } from "./types.ts";

const COMPARISON_OPS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]);
const ALLOWED = "$eq $ne $gt $gte $lt $lte $in $nin $and $or";

function isScalar(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/**
 * Checks a metadata filter against Chroma's operator set and throws a `ConfigError` that names
 * the offending path and the allowed operators. Stores call this before touching the backend so
 * every store rejects the same bad filters the same way.
 */
export function validateFilter(filter: unknown, path = "filters"): asserts filter is MetadataFilter {
  if (!isPlainObject(filter)) {
    throw new ConfigError(
      `${path} must be an object, got ${Array.isArray(filter) ? "array" : typeof filter}`,
      {
        field: path,
      },
    );
  }
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) {
        throw new ConfigError(`${path}.${key} must be a non-empty array of filters`, {
          field: `${path}.${key}`,
        });
      }
      for (const [i, sub] of value.entries()) validateFilter(sub, `${path}.${key}[${i}]`);
      continue;
    }
    if (key.startsWith("$")) {
      throw new ConfigError(`Unknown filter operator ${key} at ${path}; allowed: ${ALLOWED}`, {
        field: path,
      });
    }
    if (isScalar(value)) continue;
    if (!isPlainObject(value)) {
      throw new ConfigError(`${path}.${key} must be a scalar or an operator object ({ "$gt": 3 })`, {
        field: `${path}.${key}`,
      });
    }
    const ops = Object.entries(value);
    if (ops.length === 0) {
      throw new ConfigError(`${path}.${key} has an empty operator object`, { field: `${path}.${key}` });
    }
    for (const [op, operand] of ops) {
      if (!COMPARISON_OPS.has(op)) {
        throw new ConfigError(`Unknown filter operator ${op} at ${path}.${key}; allowed: ${ALLOWED}`, {
          field: `${path}.${key}`,
        });
      }
      if ((op === "$in" || op === "$nin") && (!Array.isArray(operand) || !operand.every(isScalar))) {
        throw new ConfigError(`${path}.${key}.${op} must be an array of scalars`, {
          field: `${path}.${key}`,
        });
      }
      if (["$gt", "$gte", "$lt", "$lte"].includes(op) && typeof operand !== "number") {
        throw new ConfigError(`${path}.${key}.${op} must be a number`, { field: `${path}.${key}` });
      }
      if ((op === "$eq" || op === "$ne") && !isScalar(operand)) {
        throw new ConfigError(`${path}.${key}.${op} must be a scalar`, { field: `${path}.${key}` });
      }
    }
  }
}

function compare(actual: unknown, op: string, operand: unknown): boolean {
  switch (op) {
    case "$eq":
      return Array.isArray(actual) ? actual.includes(operand) : actual === operand;
    case "$ne":
      return Array.isArray(actual) ? !actual.includes(operand) : actual !== operand;
    case "$gt":
      return typeof actual === "number" && actual > (operand as number);
    case "$gte":
      return typeof actual === "number" && actual >= (operand as number);
    case "$lt":
      return typeof actual === "number" && actual < (operand as number);
    case "$lte":
      return typeof actual === "number" && actual <= (operand as number);
    case "$in":
      return (operand as unknown[]).includes(actual);
    case "$nin":
      return !(operand as unknown[]).includes(actual);
    default:
      return false;
  }
}

/** True when `metadata` satisfies `filter` (Chroma semantics; several keys at one level are ANDed). */
export function matchesFilter(
  metadata: Record<string, unknown>,
  filter: MetadataFilter | undefined,
): boolean {
  if (!filter) return true;
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and") {
      if (!(value as MetadataFilter[]).every((sub) => matchesFilter(metadata, sub))) return false;
    } else if (key === "$or") {
      if (!(value as MetadataFilter[]).some((sub) => matchesFilter(metadata, sub))) return false;
    } else if (isPlainObject(value)) {
      for (const [op, operand] of Object.entries(value)) {
        if (!compare(metadata[key], op, operand)) return false;
      }
    } else if (!compare(metadata[key], "$eq", value)) {
      return false;
    }
  }
  return true;
}
