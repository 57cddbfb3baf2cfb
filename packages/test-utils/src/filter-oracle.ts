import type { MetadataFilter } from "@deeprecall/core";

/** A small deterministic PRNG so generated filters are the same on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export interface FilterGeneratorOptions {
  seed: number;
  count: number;
  /** Metadata fields and what they hold, in the order picked from. */
  fields: Array<[name: string, kind: "string" | "number" | "boolean"]>;
  strings: readonly string[];
  numbers: readonly number[];
  /** `$in`/`$nin` lists get a second, numeric value (mixed-type lists). Default false. */
  mixedInLists?: boolean;
}

/**
 * Random filters over Chroma's operator set, nested up to two levels of `$and`/`$or`, for
 * checking a store's filter translation against `matchesFilter` as the oracle.
 */
export function generateFilters(options: FilterGeneratorOptions): MetadataFilter[] {
  const random = prng(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const { numbers, strings } = options;
  const leaf = (): MetadataFilter => {
    const [field, kind] = pick(options.fields);
    const value =
      kind === "number" ? pick(numbers) : kind === "boolean" ? random() < 0.5 : pick([...strings, "purple"]);
    const operator =
      kind === "number"
        ? pick(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "shorthand"] as const)
        : pick(["$eq", "$ne", "$in", "$nin", "shorthand"] as const);
    if (operator === "shorthand") return { [field]: value };
    if (operator === "$in" || operator === "$nin") {
      return { [field]: { [operator]: options.mixedInLists ? [value, pick(numbers)] : [value] } };
    }
    return { [field]: { [operator]: value } } as MetadataFilter;
  };
  const node = (depth: number): MetadataFilter => {
    const roll = random();
    if (depth > 1 || roll < 0.5) return leaf();
    const children = Array.from({ length: 1 + Math.floor(random() * 3) }, () => node(depth + 1));
    return roll < 0.75 ? { $and: children } : { $or: children };
  };
  return Array.from({ length: options.count }, () => node(0));
}

/** Runs every filter through the store and the oracle; returns a readable line per disagreement. */
export async function filterMismatches(
  filters: MetadataFilter[],
  actualIds: (filter: MetadataFilter) => Promise<string[]>,
  expectedIds: (filter: MetadataFilter) => string[],
): Promise<string[]> {
  const mismatches: string[] = [];
  for (const filter of filters) {
    const [actual, expected] = [await actualIds(filter), expectedIds(filter)];
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      mismatches.push(`${JSON.stringify(filter)}: got ${actual.join(",")} expected ${expected.join(",")}`);
    }
  }
  return mismatches;
}
