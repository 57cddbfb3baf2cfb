/** A short English stopword list: words that carry no meaning for retrieval. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by for from has have he her his how i if in into is it its me my no not of on or " +
    "our she so than that the their them then there these they this to was we were what when where which who why " +
    "will with you your"
  ).split(" "),
);

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
const WORD_RUN = /[\p{L}\p{N}\p{M}]+/gu;
let segmenter: Intl.Segmenter | undefined;

/**
 * Splits text into index terms: NFKC-normalised, lower-cased runs of letters, digits and marks.
 * Runs in scripts written without spaces (Chinese, Japanese, Korean, Thai) are split into words by
 * ICU's dictionary-based `Intl.Segmenter`, so "東京は日本の首都です" yields "東京", "日本", …
 * Stopwords are dropped. The same function tokenizes documents and queries.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const runs = text.normalize("NFKC").toLowerCase().match(WORD_RUN);
  if (!runs) return out;
  for (const run of runs) {
    if (!CJK.test(run)) {
      if (!STOPWORDS.has(run)) out.push(run);
      continue;
    }
    segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
    for (const part of segmenter.segment(run)) {
      if (part.isWordLike) out.push(part.segment);
    }
  }
  return out;
}
