/**
 * A deterministic synthetic corpus: ~40-word documents drawn from a Zipf-distributed vocabulary
 * (so BM25 and the hashed embeddings see realistic term-frequency skew), and 4-word queries.
 */
export function seededRandom(seed = 42): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function syntheticCorpus(documents: number, queries: number, seed = 42) {
  const random = seededRandom(seed);
  const vocabulary = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}x`);
  const word = () => vocabulary[Math.floor(vocabulary.length ** random()) - 1]!;
  const sentence = (words: number) => Array.from({ length: words }, word).join(" ");
  return {
    documents: Array.from({ length: documents }, () => sentence(40)),
    metadatas: Array.from({ length: documents }, (_, i) => ({ i, shard: i % 10 })),
    ids: Array.from({ length: documents }, (_, i) => `doc-${i}`),
    queries: Array.from({ length: queries }, () => sentence(4)),
  };
}
