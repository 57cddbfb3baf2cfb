/**
 * `n` and the word, in the singular for exactly one: `plural(1, "document")` is "1 document",
 * `plural(2, "document")` "2 documents". `many` is the plural when adding "s" is wrong
 * ("1 key", "3 keys" need nothing; "1 match", "2 matches" do).
 */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
