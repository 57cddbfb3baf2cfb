import { describe, expect, it } from "vitest";
import { Bm25Index } from "./bm25.ts";

// A seeded corpus: documents of varying length over a small Zipf-like vocabulary, so terms have
// very different document frequencies and documents repeat terms.
function corpus(size: number, seed = 7): string[][] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const vocabulary = Array.from({ length: 60 }, (_, i) => `t${i}`);
  return Array.from({ length: size }, () =>
    Array.from(
      { length: 3 + Math.floor(random() * 25) },
      () => vocabulary[Math.floor(vocabulary.length ** random()) - 1]!,
    ),
  );
}

/** Straightforward BM25 (Lucene idf), computed from scratch over the live documents. */
function reference(
  docs: ReadonlyArray<readonly string[] | undefined>,
  query: readonly string[],
  k1 = 1.2,
  b = 0.75,
): Array<{ slot: number; score: number }> {
  const live = docs.flatMap((tokens, slot) => (tokens ? [{ slot, tokens }] : []));
  const n = live.length;
  const avgdl = live.reduce((sum, d) => sum + d.tokens.length, 0) / n;
  const terms = [...new Set(query)];
  const dfs = new Map(terms.map((term) => [term, live.filter((d) => d.tokens.includes(term)).length]));
  const hits: Array<{ slot: number; score: number }> = [];
  for (const { slot, tokens } of live) {
    let score = 0;
    let matched = false;
    for (const term of terms) {
      const tf = tokens.filter((t) => t === term).length;
      if (tf === 0) continue;
      matched = true;
      const df = dfs.get(term)!;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * tokens.length) / avgdl));
    }
    if (matched) hits.push({ slot, score });
  }
  return hits.sort((x, y) => y.score - x.score || x.slot - y.slot);
}

function expectSameRanking(actual: Array<{ slot: number; score: number }>, expected: typeof actual): void {
  expect(actual.map((h) => h.slot)).toEqual(expected.map((h) => h.slot));
  for (const [i, hit] of actual.entries()) expect(hit.score).toBeCloseTo(expected[i]!.score, 9);
}

const queries = [["t0"], ["t1", "t7"], ["t3", "t3", "t20"], ["t45", "t2", "t11", "t0"], ["t59"], ["nothing"]];

describe("Bm25Index", () => {
  it("ranks and scores exactly like a straightforward BM25 computation", () => {
    const docs = corpus(300);
    const index = new Bm25Index();
    for (const [slot, tokens] of docs.entries()) index.add(slot, tokens);
    expect(index.documentCount).toBe(300);
    for (const query of queries) {
      for (const depth of [1, 10, 1000]) {
        expectSameRanking(index.search(query, depth), reference(docs, query).slice(0, depth));
      }
    }
    expect(index.search(["nothing"], 10)).toEqual([]);
    expect(index.search(["t1"], 10)[0]!.score).toBeGreaterThan(0);
  });

  it("honours k1 and b", () => {
    const docs = corpus(80);
    const index = new Bm25Index({ k1: 2, b: 0.3 });
    for (const [slot, tokens] of docs.entries()) index.add(slot, tokens);
    for (const query of queries)
      expectSameRanking(index.search(query, 50), reference(docs, query, 2, 0.3).slice(0, 50));
  });

  it("keeps statistics exact when documents are removed, before and after compaction", () => {
    const docs: Array<string[] | undefined> = corpus(200);
    const index = new Bm25Index();
    for (const [slot, tokens] of docs.entries()) index.add(slot!, tokens!);
    for (let slot = 0; slot < docs.length; slot += 3) {
      index.remove(slot, docs[slot]!);
      docs[slot] = undefined;
    }
    index.remove(1000, ["t0"]); // unknown slot: no effect
    index.remove(0, ["t0"]); // already removed: no effect
    for (const query of queries) expectSameRanking(index.search(query, 500), reference(docs, query));

    const remap = new Int32Array(docs.length).fill(-1);
    const kept: string[][] = [];
    docs.forEach((tokens, slot) => {
      if (tokens) remap[slot] = kept.push(tokens) - 1;
    });
    const before = index.byteSize;
    index.compact(remap, kept.length);
    expect(index.documentCount).toBe(kept.length);
    expect(index.slotCount).toBe(kept.length);
    expect(index.byteSize).toBeLessThanOrEqual(before);
    for (const query of queries) expectSameRanking(index.search(query, 500), reference(kept, query));

    // Slots continue after the compacted range.
    const extra = ["t0", "t0", "t59"];
    index.add(kept.length, extra);
    for (const query of queries)
      expectSameRanking(index.search(query, 500), reference([...kept, extra], query));
  });

  it("refuses to reuse a slot", () => {
    const index = new Bm25Index();
    index.add(0, ["a"]);
    index.add(5, ["b"]);
    expect(() => index.add(5, ["c"])).toThrow(RangeError);
    expect(() => index.add(2, ["c"])).toThrow(RangeError);
    index.remove(5, ["b"]);
    expect(() => index.add(5, ["c"])).toThrow(RangeError);
  });

  it("applies the filter and still returns the best accepted documents", () => {
    const docs = corpus(300);
    const index = new Bm25Index();
    for (const [slot, tokens] of docs.entries()) index.add(slot, tokens);
    const accept = (slot: number) => slot % 7 === 2;
    let calls = 0;
    const counting = (slot: number) => {
      calls++;
      return accept(slot);
    };
    for (const query of queries) {
      const expected = reference(docs, query)
        .filter((h) => accept(h.slot))
        .slice(0, 5);
      expectSameRanking(index.search(query, 5, counting), expected);
    }
    expect(calls).toBeGreaterThan(0);
  });

  it("handles terms whose postings span many blocks", () => {
    // 10,000 documents all containing "common": its postings need several maximum-size blocks.
    const docs = Array.from({ length: 10_000 }, (_, i) =>
      i % 3 === 0 ? ["common", `rare${i % 50}`] : ["common", "common", `rare${i % 50}`, "x"],
    );
    const index = new Bm25Index();
    for (const [slot, tokens] of docs.entries()) index.add(slot, tokens);
    for (const query of [["common"], ["common", "rare7"], ["rare49", "x"]]) {
      expectSameRanking(index.search(query, 20), reference(docs, query).slice(0, 20));
    }
  });

  it("serialises and deserialises to an index with identical results", () => {
    const docs: Array<string[] | undefined> = corpus(150, 99);
    const index = new Bm25Index({ k1: 1.5, b: 0.6 });
    for (const [slot, tokens] of docs.entries()) index.add(slot, tokens!);
    index.remove(4, docs[4]!);
    docs[4] = undefined;
    const copy = Bm25Index.deserialize(index.serialize());
    expect(copy.k1).toBe(1.5);
    expect(copy.b).toBe(0.6);
    expect(copy.documentCount).toBe(149);
    for (const query of queries) expect(copy.search(query, 100)).toEqual(index.search(query, 100));
    // The copy keeps working incrementally.
    copy.add(150, ["t0", "new"]);
    index.add(150, ["t0", "new"]);
    expect(copy.search(["new", "t0"], 10)).toEqual(index.search(["new", "t0"], 10));
  });

  it("rejects a corrupt or truncated file", () => {
    const index = new Bm25Index();
    for (const [slot, tokens] of corpus(20).entries()) index.add(slot, tokens);
    const bytes = index.serialize();
    expect(() => Bm25Index.deserialize(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0;
    expect(() => Bm25Index.deserialize(wrongMagic)).toThrow(/not a DeepRecall BM25 index/);
    const wrongVersion = bytes.slice();
    wrongVersion[4] = 9;
    expect(() => Bm25Index.deserialize(wrongVersion)).toThrow(/version 9/);
  });
});
