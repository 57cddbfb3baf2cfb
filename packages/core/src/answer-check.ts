/**
 * Deciding whether what a model gave as its answer is one, and building a best-effort answer
 * from the sources when it is not (a run that ends without the model's own usable FINAL).
 */
import { MAX_FINAL_CHARS, stripCodeBlocks } from "./parse.ts";
import type { SearchResult } from "./types.ts";

/**
 * Placeholder wording from our own prompts that small models copy instead of answering
 * ("FINAL(your answer)"). Compared after {@link normalize}.
 */
const PLACEHOLDERS = new Set(
  [
    "answer",
    "the answer",
    "your answer",
    "your final answer",
    "final answer",
    "the final answer",
    "my answer",
    "answer here",
    "your answer here",
    "the answer here",
    "answer text",
    "the actual answer",
    "answer now",
    "a string",
    "string",
    "variablename",
    "none",
    "null",
    "undefined",
    "todo",
    "the crisis was driven mainly by",
  ].map((s) => normalize(s)),
);

/** Lowercase words only: punctuation, quotes, FINAL( wrappers and whitespace runs removed. */
function normalize(text: string): string {
  return text
    .replace(/\bFINAL(?:_VAR)?\s*\(/gi, " ")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * The answer with code removed: closed fenced blocks dropped, and everything from an unclosed
 * fence on. Trimmed, and cut to {@link MAX_FINAL_CHARS} characters.
 */
export function cleanAnswer(text: string): string {
  let out = stripCodeBlocks(text);
  const stray = out.indexOf("```");
  if (stray >= 0) out = out.slice(0, stray);
  out = out.trim();
  return out.length > MAX_FINAL_CHARS ? out.slice(0, MAX_FINAL_CHARS) : out;
}

/**
 * Why `answer` is not an answer to `question`, or null when it is one. Rejected: empty (or only
 * code), placeholder wording from the prompt ("the answer", "your answer", "FINAL(your answer)"),
 * an echo of the question itself, or of the question's first-message framing ("Question: ...").
 */
export function answerProblem(answer: string, question: string): string | null {
  const cleaned = cleanAnswer(answer);
  const norm = normalize(cleaned);
  if (norm === "") return "it is empty";
  if (PLACEHOLDERS.has(norm)) return "it repeats the placeholder wording of the instructions";
  const q = normalize(question);
  if (q !== "" && (norm === q || norm === `question ${q}`)) return "it repeats the question";
  if (/^question\s*:/i.test(cleaned)) return "it repeats the question";
  return null;
}

/** The cleaned answer when it is a usable answer to `question`, else null. */
export function usableAnswer(raw: string | undefined, question: string): string | null {
  if (raw === undefined) return null;
  return answerProblem(raw, question) === null ? cleanAnswer(raw) : null;
}

const STOPWORDS = new Set(
  "a an and are as at be by did do does for from has have how in is it its of on or that the this to was were what when where which who whom whose why with".split(
    " ",
  ),
);

function terms(text: string): Set<string> {
  return new Set(
    normalize(text)
      .split(" ")
      .filter((w) => w.length > 1 && !STOPWORDS.has(w)),
  );
}

/** Text from a document made safe to quote in an answer: no code fences, one line. */
export function quoteSnippet(text: string, max: number): string {
  const flat = text
    .replace(/`{3,}[^\n`]*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A best-effort answer built without a model from the sources seen so far: the sentences of the
 * best sources that share most words with the question, each with its source id, introduced by
 * which limit ended the run. Never empty and never contains a code fence; with no sources it
 * says nothing relevant was found.
 */
export function synthesizeAnswer(question: string, sources: SearchResult[], limit: string): string {
  const intro = `The investigation stopped at the ${limit} limit before the model gave a final answer.`;
  if (sources.length === 0) {
    return `${intro} No relevant passages had been found in the documents, so there is no grounded answer to give.`;
  }
  const wanted = terms(question);
  const candidates: Array<{ id: string; sentence: string; overlap: number; rank: number; order: number }> =
    [];
  for (const [rank, source] of sources.slice(0, 5).entries()) {
    const text = quoteSnippet(source.content, 4000);
    const sentences = text.split(/(?<=[.!?])\s+/).filter((s) => s.trim().length > 0);
    for (const [order, sentence] of sentences.entries()) {
      let overlap = 0;
      for (const t of terms(sentence)) if (wanted.has(t)) overlap++;
      candidates.push({ id: source.id, sentence, overlap, rank, order });
    }
  }
  candidates.sort((a, b) => b.overlap - a.overlap || a.rank - b.rank || a.order - b.order);
  const picked = candidates.slice(0, 3);
  const lines = picked.map((c) => `- ${quoteSnippet(c.sentence, 400)} [${c.id}]`);
  return `${intro} Based on the most relevant passages found:\n${lines.join("\n")}`;
}
