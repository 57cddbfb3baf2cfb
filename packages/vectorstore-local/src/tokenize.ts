/** A short English stopword list: words that carry no meaning for retrieval. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by for from has have he her his how i if in into is it its me my no not of on or " +
    "our she so than that the their them then there these they this to was we were what when where which who why " +
    "will with you your"
  ).split(" "),
);

/**
 * Version of the terms `tokenize` produces. A lexical index built with another version is
 * rebuilt from the documents when a collection is opened (see collection-storage.ts).
 * 1: words and CJK segments; 2: + Hangul bigrams and emoji.
 */
export const TOKENIZER_VERSION = 2;

/** Scripts written without spaces between words: ICU's dictionary-based segmenter splits them. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const HANGUL = /\p{Script=Hangul}/u;
const HANGUL_ONLY = /^\p{Script=Hangul}+$/u;
/**
 * A run of letters, digits and marks; or an emoji: a flag (two regional indicators) or a
 * pictograph with its skin tone, variation selector and zero-width-joined parts (👩‍💻).
 */
const TERM =
  /[\p{L}\p{N}\p{M}]+|\p{Regional_Indicator}{2}|\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F|\u200D\p{Extended_Pictographic})*/gu;
const VARIATION_SELECTOR = /\uFE0F/g;
const WORD_START = /^[\p{L}\p{N}\p{M}]/u;
let segmenter: Intl.Segmenter | undefined;

/**
 * Korean attaches particles and endings to words (서울은, 한국의, 수도이다), so a Hangul word is
 * indexed as itself plus its syllable bigrams: "서울은" → 서울은, 서울, 울은. A query is split
 * the same way, so 서울 finds 서울은 and 서울은 finds 서울. One-syllable words stay as they are.
 */
function pushHangul(word: string, out: string[]): void {
  out.push(word);
  if (word.length < 3) return;
  for (let i = 0; i + 2 <= word.length; i++) out.push(word.slice(i, i + 2));
}

/**
 * Splits text into index terms: NFKC-normalised, lower-cased runs of letters, digits and marks,
 * and emoji (without variation selectors, so ❤️ and ❤ are one term). Runs in scripts written
 * without spaces (Chinese, Japanese, Thai) are split into words by ICU's dictionary-based
 * `Intl.Segmenter`, so "東京は日本の首都です" yields "東京", "日本", … Hangul words also yield
 * their syllable bigrams (see `pushHangul`). Stopwords are dropped. The same function tokenizes
 * documents and queries.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const runs = text.normalize("NFKC").toLowerCase().match(TERM);
  if (!runs) return out;
  for (const run of runs) {
    if (!WORD_START.test(run)) {
      out.push(run.replace(VARIATION_SELECTOR, "")); // an emoji
      continue;
    }
    if (HANGUL_ONLY.test(run)) {
      pushHangul(run, out);
      continue;
    }
    if (!UNSPACED.test(run) && !HANGUL.test(run)) {
      if (!STOPWORDS.has(run)) out.push(run);
      continue;
    }
    segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
    for (const part of segmenter.segment(run)) {
      if (!part.isWordLike) continue;
      if (HANGUL_ONLY.test(part.segment)) pushHangul(part.segment, out);
      else out.push(part.segment);
    }
  }
  return out;
}
