/**
 * The deepest nesting a JSON request body may have: 256 arrays/objects inside each other. Far
 * beyond any real request (a JSON Schema of models nested 60 deep stays under it), and far below
 * where recursive code (`JSON.stringify`, schema walks, validators) overflows V8's stack, which
 * a body of `[[[[…` 20,000 deep (40 KB) did: a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text in `bytes` (UTF-8) nests arrays and objects more than `max` deep,
 * brackets inside strings not counted. One pass over the bytes, skipped for a text too short to
 * nest that deep (each level needs an opening and a closing byte). Multi-byte UTF-8 sequences
 * hold no ASCII bytes, so reading bytes is exact. Malformed JSON gives some answer: `JSON.parse`
 * refuses it anyway.
 */
export function jsonDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  if (bytes.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
