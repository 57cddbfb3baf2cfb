import type { EmbeddingFunction } from "@deeprecall/core";

/** A few very common English words that would otherwise make every text look alike. */
const STOPWORDS = new Set(
  "a an and are as at be by for from has have how i in is it its of on or that the this to was what when where which who why will with".split(
    " ",
  ),
);

/** FNV-1a, 32 bit. Deterministic across processes and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * Lower-cased, NFKC-normalised runs of letters/digits (any script), minus a few English stopwords.
 * Runs of CJK characters (written without spaces) become overlapping character bigrams.
 */
export function fakeEmbeddingTokens(text: string): string[] {
  const words =
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    if (!CJK.test(word)) {
      out.push(word);
      continue;
    }
    const chars = Array.from(word);
    if (chars.length === 1) out.push(word);
    for (let i = 0; i + 2 <= chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  const index = h % vector.length;
  // A second hash bit decides the sign, so collisions cancel out on average instead of piling up.
  const sign = (h >>> 31) & 1 ? -1 : 1;
  vector[index] = (vector[index] ?? 0) + sign * weight;
}

/**
 * A deterministic, offline stand-in for an embedding model: each text becomes the L2-normalised
 * sum of hashed features (whole words, weight 1, and the character trigrams of each word, weight 0.3). Texts
 * that share words or word pieces get a high cosine similarity, unrelated texts a low one, so
 * "the relevant document ranks first for an obvious query" holds for dense-only stores too.
 * Works for any script (CJK text, written without spaces, is split into character bigrams).
 *
 * Not semantic: "car" and "automobile" are unrelated to it. The default of 256 dimensions keeps
 * hash collisions rare enough that unrelated texts stay near 0; 64 works but is noisier.
 */
export function fakeEmbedding(dimension = 256): EmbeddingFunction {
  if (!Number.isInteger(dimension) || dimension < 2) {
    throw new RangeError(`fakeEmbedding dimension must be an integer >= 2, got ${dimension}`);
  }
  const embedOne = (text: string): number[] => {
    const vector = new Float64Array(dimension);
    for (const word of fakeEmbeddingTokens(text)) {
      addFeature(vector, `w:${word}`, 1);
      const chars = Array.from(`^${word}$`);
      for (let i = 0; i + 3 <= chars.length; i++)
        addFeature(vector, `t:${chars.slice(i, i + 3).join("")}`, 0.3);
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      // No features (e.g. only punctuation or emoji): a fixed unit vector keeps the output valid.
      const out = new Array<number>(dimension).fill(0);
      out[0] = 1;
      return out;
    }
    return Array.from(vector, (x) => x / norm);
  };
  return async (texts) => texts.map(embedOne);
}
