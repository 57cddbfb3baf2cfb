/**
 * The rule for a new collection's name, checked before anything is uploaded. The server takes
 * 1–200 characters (`CollectionField`), and the local store (what `deeprecall serve` uses)
 * allows only `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$` — the stricter rule is the one that holds.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What is allowed, in words (shown beside the field). */
export const COLLECTION_NAME_RULE =
  'Up to 128 letters, digits, ".", "_" or "-", starting with a letter or digit (no spaces).';

/** Why `name` cannot be a collection's name, or null when it can. */
export function collectionNameProblem(name: string): string | null {
  if (name === "") return "Enter a name.";
  if (name.length > 128) return `That name has ${name.length} characters; the limit is 128.`;
  if (!/^[A-Za-z0-9]/.test(name)) return "Start the name with a letter or a digit.";
  const bad = [...new Set(name.replace(/[A-Za-z0-9._-]/g, ""))];
  if (bad.length > 0) {
    const shown = bad.map((c) => (c === " " ? "spaces" : `“${c}”`)).join(", ");
    return `Not allowed in a collection name: ${shown}. ${COLLECTION_NAME_RULE}`;
  }
  return NAME.test(name) ? null : COLLECTION_NAME_RULE;
}
