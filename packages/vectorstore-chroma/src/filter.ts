import { type MetadataFilter, validateFilter } from "@deeprecall/core";
import type { Where } from "chromadb";

/**
 * The result of translating one of our filters: a Chroma `where` clause, or a constant when the
 * filter is decided without looking at any record (`$in: []` matches nothing, `$nin: []` matches
 * everything, null never matches because Chroma does not store null metadata values).
 */
export type TranslatedFilter = { kind: "all" } | { kind: "none" } | { kind: "where"; where: Where };

type Cond = boolean | Where;

export interface TranslateOptions {
  /**
   * Give equality on array-valued metadata "contains" semantics (as `matchesFilter` does) by
   * adding Chroma's `$contains` / `$not_contains`. Servers older than array-metadata support
   * reject those operators, so the store turns this off after such a rejection.
   */
  arrayMembership: boolean;
}

function and(conds: Cond[]): Cond {
  const parts: Where[] = [];
  for (const cond of conds) {
    if (cond === false) return false;
    if (cond === true) continue;
    parts.push(cond);
  }
  if (parts.length === 0) return true;
  if (parts.length === 1) return parts[0] as Where;
  return { $and: parts };
}

function or(conds: Cond[]): Cond {
  const parts: Where[] = [];
  for (const cond of conds) {
    if (cond === true) return true;
    if (cond === false) continue;
    parts.push(cond);
  }
  if (parts.length === 0) return false;
  if (parts.length === 1) return parts[0] as Where;
  return { $or: parts };
}

const op = (field: string, operator: string, value: unknown): Where =>
  ({ [field]: { [operator]: value } }) as Where;

const isFloat = (value: unknown): value is number => typeof value === "number" && !Number.isInteger(value);

/*
 * Non-integer operands need care: Chroma (checked against 1.5.x) compares a float operand with an
 * integer-stored value after truncating the operand (`n >= 2.7` matches n = 2, `n == 2.5` matches
 * n = 2), while integer operands compare correctly with both integer- and float-stored values.
 * Every rewrite below is exact under that behaviour and still exact if Chroma fixes it, because each
 * extra branch only adds records that the plain comparison should have matched anyway.
 */

/** Exactly `field == v` for a non-integer v: no integer lies strictly between floor(v) and ceil(v). */
function floatEquals(field: string, v: number): Cond {
  return and([op(field, "$eq", v), op(field, "$gt", Math.floor(v)), op(field, "$lt", Math.ceil(v))]);
}

function equals(field: string, value: unknown, options: TranslateOptions): Cond {
  if (value === null || value === undefined) return false; // Chroma never stores null values.
  if (isFloat(value)) return floatEquals(field, value);
  if (!options.arrayMembership) return op(field, "$eq", value);
  return or([op(field, "$eq", value), op(field, "$contains", value)]);
}

function notEquals(field: string, value: unknown, options: TranslateOptions): Cond {
  if (value === null || value === undefined) return true;
  if (isFloat(value)) return or([op(field, "$ne", value), op(field, "$eq", Math.trunc(value) || 0)]);
  if (!options.arrayMembership) return op(field, "$ne", value);
  return and([op(field, "$ne", value), op(field, "$not_contains", value)]);
}

/** Chroma wants `$in`/`$nin` lists that are non-empty and of one type (ints and floats differ). */
function groupByType(values: unknown[]): { groups: unknown[][]; floats: number[] } {
  const byType = new Map<string, unknown[]>();
  const floats: number[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (isFloat(value)) {
      floats.push(value);
      continue;
    }
    const type = typeof value;
    const group = byType.get(type) ?? [];
    if (!group.includes(value)) group.push(value);
    byType.set(type, group);
  }
  return { groups: [...byType.values()], floats };
}

function comparison(field: string, operator: string, operand: unknown, options: TranslateOptions): Cond {
  switch (operator) {
    case "$eq":
      return equals(field, operand, options);
    case "$ne":
      return notEquals(field, operand, options);
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte": {
      const v = operand as number;
      if (!isFloat(v)) return op(field, operator, v);
      if (operator === "$gt") return or([op(field, "$gt", v), op(field, "$gte", Math.ceil(v))]);
      if (operator === "$gte")
        return or([op(field, "$gt", v), op(field, "$gte", Math.ceil(v)), floatEquals(field, v)]);
      if (operator === "$lt") return or([op(field, "$lt", v), op(field, "$lte", Math.floor(v))]);
      return or([op(field, "$lt", v), op(field, "$lte", Math.floor(v)), floatEquals(field, v)]);
    }
    case "$in": {
      const { groups, floats } = groupByType(operand as unknown[]);
      return or([
        ...groups.map((group) => op(field, "$in", group)),
        ...floats.map((v) => floatEquals(field, v)),
      ]);
    }
    case "$nin": {
      const { groups, floats } = groupByType(operand as unknown[]);
      return and([
        ...groups.map((group) => op(field, "$nin", group)),
        ...floats.map((v) => notEquals(field, v, options)),
      ]);
    }
    default:
      // validateFilter has already rejected every other operator.
      throw new Error(`unreachable filter operator ${operator}`);
  }
}

function translateNode(filter: MetadataFilter, options: TranslateOptions): Cond {
  const conds: Cond[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and") {
      conds.push(and((value as MetadataFilter[]).map((sub) => translateNode(sub, options))));
    } else if (key === "$or") {
      conds.push(or((value as MetadataFilter[]).map((sub) => translateNode(sub, options))));
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      conds.push(
        and(Object.entries(value).map(([operator, operand]) => comparison(key, operator, operand, options))),
      );
    } else {
      conds.push(equals(key, value, options));
    }
  }
  return and(conds);
}

/**
 * Validates `filter` with core's `validateFilter` (throws `ConfigError`) and rewrites it into the
 * stricter form Chroma accepts: one key per object (several keys become `$and`), one operator per
 * field expression, at least two clauses in `$and`/`$or`, single-typed non-empty `$in`/`$nin`.
 */
export function translateFilter(
  filter: unknown,
  options: TranslateOptions = { arrayMembership: true },
): TranslatedFilter {
  validateFilter(filter);
  const cond = translateNode(filter, options);
  if (cond === true) return { kind: "all" };
  if (cond === false) return { kind: "none" };
  return { kind: "where", where: cond };
}
