import { type MetadataFilter, validateFilter } from "@deeprecall/core";

/** A Pinecone metadata filter (MongoDB-style JSON). */
export type PineconeFilter = Record<string, unknown>;

/**
 * The result of translating one of our filters: a Pinecone filter, or a constant when the filter
 * is decided without the server (`$in: []` matches nothing, `$nin: []` everything, and null never
 * matches because Pinecone does not store null metadata values).
 */
export type TranslatedPineconeFilter =
  | { kind: "all" }
  | { kind: "none" }
  | { kind: "filter"; filter: PineconeFilter };

type Cond = boolean | PineconeFilter;

function and(conds: Cond[]): Cond {
  const parts: PineconeFilter[] = [];
  for (const cond of conds) {
    if (cond === false) return false;
    if (cond !== true) parts.push(cond);
  }
  if (parts.length === 0) return true;
  return parts.length === 1 ? (parts[0] as PineconeFilter) : { $and: parts };
}

function or(conds: Cond[]): Cond {
  const parts: PineconeFilter[] = [];
  for (const cond of conds) {
    if (cond === true) return true;
    if (cond !== false) parts.push(cond);
  }
  if (parts.length === 0) return false;
  return parts.length === 1 ? (parts[0] as PineconeFilter) : { $or: parts };
}

const op = (field: string, operator: string, value: unknown): PineconeFilter => ({
  [field]: { [operator]: value },
});
/** Our `$ne`/`$nin` match records without the field (as `matchesFilter` does); say so explicitly. */
const orMissing = (field: string, cond: PineconeFilter): Cond => or([cond, op(field, "$exists", false)]);

function comparison(field: string, operator: string, operand: unknown): Cond {
  switch (operator) {
    case "$eq":
      return operand === null ? false : op(field, "$eq", operand);
    case "$ne":
      return operand === null ? true : orMissing(field, op(field, "$ne", operand));
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return op(field, operator, operand);
    case "$in":
    case "$nin": {
      // Pinecone's $in/$nin take strings and numbers; booleans become $eq/$ne clauses.
      const values = (operand as unknown[]).filter((v) => v !== null);
      const strings = [...new Set(values.filter((v) => typeof v === "string"))];
      const numbers = [...new Set(values.filter((v) => typeof v === "number"))];
      const booleans = [...new Set(values.filter((v) => typeof v === "boolean"))];
      if (operator === "$in") {
        return or([
          ...(strings.length ? [op(field, "$in", strings)] : []),
          ...(numbers.length ? [op(field, "$in", numbers)] : []),
          ...booleans.map((b) => op(field, "$eq", b)),
        ]);
      }
      return and([
        ...(strings.length ? [orMissing(field, op(field, "$nin", strings))] : []),
        ...(numbers.length ? [orMissing(field, op(field, "$nin", numbers))] : []),
        ...booleans.map((b) => orMissing(field, op(field, "$ne", b))),
      ]);
    }
    default:
      throw new Error(`unreachable filter operator ${operator}`);
  }
}

function translateNode(filter: MetadataFilter): Cond {
  const conds: Cond[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and") conds.push(and((value as MetadataFilter[]).map(translateNode)));
    else if (key === "$or") conds.push(or((value as MetadataFilter[]).map(translateNode)));
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      conds.push(and(Object.entries(value).map(([operator, operand]) => comparison(key, operator, operand))));
    } else {
      conds.push(comparison(key, "$eq", value));
    }
  }
  return and(conds);
}

/**
 * Validates `filter` with core's `validateFilter` (throws `ConfigError`) and translates it to
 * Pinecone's filter language: equality shorthand becomes `$eq`; `$ne`/`$nin` also match records
 * missing the field (via `$exists: false`), as in our semantics; boolean members of `$in`/`$nin`
 * become `$eq`/`$ne` (Pinecone's sets take strings and numbers only); several keys become `$and`.
 */
export function translatePineconeFilter(filter: unknown): TranslatedPineconeFilter {
  validateFilter(filter);
  const cond = translateNode(filter);
  if (cond === true) return { kind: "all" };
  if (cond === false) return { kind: "none" };
  return { kind: "filter", filter: cond };
}
