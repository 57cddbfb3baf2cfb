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
    "a string",
    "string",
    "text",
    "variablename",
    "variable name",
    "none",
    "null",
    "undefined",
    "nan",
    "todo",
    "tbd",
    "placeholder",
    "xxx",
    "lorem ipsum",
    "insert answer",
    "n a",
    "the crisis was driven mainly by",
  ].map((s) => normalize(s)),
);

/**
 * Placeholder phrasings, after {@link normalize}: "answer", "your answer", "the final answer
 * here", "my final answer goes here", "<answer>", "[your answer]", "insert your answer here",
 * "the answer to the question", "answer text"...
 */
const PLACEHOLDER_PATTERN =
  /^(?:(?:insert|write|put|type|enter|give|provide)\s+)?(?:(?:your|the|my|our|a|an|actual|real|final|short|full|complete|best|effort|concise)\s+)*answers?(?:\s+(?:text|string|here|goes\s+here|now|to\s+(?:the|this|your)\s+question|to\s+the\s+user|in\s+your\s+own\s+words|based\s+on\s+the\s+passages(?:\s+you\s+found)?))*$/;

/** Lowercase words only: punctuation, quotes, FINAL( wrappers and whitespace runs removed. */
function normalize(text: string): string {
  return text
    .replace(/\bFINAL(?:_VAR)?\s*\(/gi, " ")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * A prompt as the echo checks compare it: citations removed, {@link normalize}d, padded with a
 * space each side. The system prompt is the same for every query of an engine and normalising it
 * was a tenth of a FINAL-only query's time, so the last few results are kept.
 */
const promptForms = new Map<string, string>();
const PROMPT_FORMS_KEPT = 8;
function promptForm(prompt: string): string {
  let form = promptForms.get(prompt);
  if (form === undefined) {
    form = ` ${normalize(withoutCitations(prompt))} `;
    if (promptForms.size >= PROMPT_FORMS_KEPT) promptForms.delete(promptForms.keys().next().value!);
    promptForms.set(prompt, form);
  }
  return form;
}

/** The text without citation markers ("[1]", "[doc-12]", "[sources: a, b]"). */
function withoutCitations(text: string): string {
  return text.replace(/\[[^\]\n]{0,120}\]/g, " ");
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
 * The wording of the prompt a model was given, for the echo check of {@link answerProblem}: the
 * system prompt and the first user message with the material in it that is not our wording —
 * the grounding passages (document snippets), the caller's context and the question itself —
 * cut out (copying a document is not an echo; repeating the question is checked on its own).
 */
export function promptWording(
  system: string,
  firstMessage: string,
  material: ReadonlyArray<string | undefined>,
): string[] {
  let first = firstMessage;
  for (const part of material) if (part && part.trim() !== "") first = first.split(part).join("\n");
  return [system, first].filter((t) => t.trim() !== "");
}

/** Answers shorter than this (normalised words) are never called an echo of the prompt: "Paris", "Founded in 1999". */
const ECHO_MIN_WORDS = 4;
/** Word n-grams for the "mostly the prompt's wording" check, and the answers long enough for it. */
const ECHO_NGRAM = 3;
const ECHO_NGRAM_MIN_WORDS = 8;
/** Share of an answer's words inside n-grams of the prompt above which it is the prompt's wording. */
const ECHO_COVERAGE = 0.8;

/**
 * "The documents do not contain the answer", "I could not find ...", "No information was found":
 * the honest ending the prompt asks for ("If the documents do not contain the answer, say so"),
 * so never called an echo of it.
 */
const NOT_FOUND =
  /^(?:(?:the|these|those) )?(?:documents?|passages?|sources?|store|collection|texts?|search(?:es)?)\b.*\b(?:do|does|did) not (?:contain|say|mention|include|give|provide|state|answer|cover|show)\b|^(?:no|nothing|none)\b.*\b(?:found|documents?|passages?|information|sources?)\b|^(?:i|we) (?:could|can|did|do) not find\b|^(?:i|we) cannot (?:find|answer)\b/;

function ngrams(words: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(" "));
  return out;
}

/**
 * Whether `norm` (a normalised answer, citations removed) is the prompt's own wording: an answer
 * of {@link ECHO_MIN_WORDS} words or more contained in one of `prompts` (normalised), or a longer
 * one made mostly of the prompts' 3-word runs (pieces of the instructions strung together).
 */
function echoesPrompt(norm: string, prompts: readonly string[]): boolean {
  const words = norm.split(" ");
  if (words.length < ECHO_MIN_WORDS || prompts.length === 0) return false;
  if (NOT_FOUND.test(norm.replace(/\b(can|do|does|did|could) ?n ?t\b/g, "$1 not"))) return false;
  const normalized = prompts.map(promptForm);
  if (normalized.some((p) => p.includes(` ${norm} `))) return true;
  if (words.length < ECHO_NGRAM_MIN_WORDS) return false;
  const known = new Set(normalized.flatMap((p) => ngrams(p.trim().split(" "), ECHO_NGRAM)));
  const covered = new Array<boolean>(words.length).fill(false);
  for (let i = 0; i + ECHO_NGRAM <= words.length; i++) {
    if (known.has(words.slice(i, i + ECHO_NGRAM).join(" "))) covered.fill(true, i, i + ECHO_NGRAM);
  }
  return covered.filter(Boolean).length / words.length >= ECHO_COVERAGE;
}

/** The host functions of the sandbox and the usual ways of printing: calling one is code, not prose. */
const HOST_CALL =
  /^(?:await\s+)?(?:searchDb|search_db|llmQuery|llm_query|llmQueryBatched|llm_query_batched|print|SHOW_VARS|FINAL_VAR|console\.\w+)\s*\(/;
/**
 * One statement of code: a declaration, an import, a control-flow header, `return`/`await`, a
 * call with no space before its parenthesis (`foo(1)`, `hits.map(...)`), an assignment to a
 * property (`a.b = 1`), or a line of only brackets and punctuation (`}`, `});`).
 */
const STATEMENT =
  /^(?:(?:const|let|var)\s+[\w${}[\],\s]+=|(?:export\s+)?(?:async\s+)?function\b|def\s+\w+\s*\(|import\s+[\w{*]|from\s+\S+\s+import\b|return\b|await\s+\S|(?:for|while|if|switch)\s*\(.*\)\s*\{?$|[\w$]+(?:\.[\w$]+)+\s*=(?!=)|[\w$]+\s*=\s*(?:await\s+)?(?:searchDb|search_db|llmQuery|llm_query|llmQueryBatched|llm_query_batched)\s*\(|[\w$]+(?:\.[\w$]+)*\(.*\)[\s;]*$|[{}()[\];,]+$)/;

/**
 * Whether a line is code rather than prose: it calls a host function of the sandbox
 * (`searchDb(...)`, `print(x)`), or every `;`-separated statement on it is code.
 */
function isCodeLine(line: string): boolean {
  const statements = line
    .trim()
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (statements.length === 0) return /;/.test(line);
  if (statements.some((s) => HOST_CALL.test(s))) return true;
  return statements.every((s) => STATEMENT.test(s));
}

/**
 * Whether the text is code written without a fence, or a tool call written as text: a line that
 * calls a sandbox function, at least half of its lines code, or a JSON / `<tool_call>` call of
 * `searchDb`.
 */
export function looksLikeCode(text: string): boolean {
  if (/<\/?tool_call>|"name"\s*:\s*"(?:searchDb|search_db)"/.test(text)) return true;
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return false;
  if (
    lines.some((l) =>
      l
        .trim()
        .split(";")
        .some((s) => HOST_CALL.test(s.trim())),
    )
  )
    return true;
  const code = lines.filter(isCodeLine).length;
  return code * 2 >= lines.length;
}

/** Whether `norm` is `q` said one or more times (optionally introduced by "question"). */
function repeatsQuestion(norm: string, q: string): boolean {
  if (q === "") return false;
  let rest = ` ${norm} `;
  let times = 0;
  for (;;) {
    const next = rest.replace(/^ (?:question )?/, " ");
    if (!next.startsWith(` ${q} `)) break;
    rest = next.slice(q.length + 1);
    times++;
  }
  return times > 0 && rest.trim() === "";
}

/**
 * Why `answer` is not an answer to `question`, or null when it is one. Rejected: empty (or only
 * code), placeholder wording ("the answer", "your final answer here", "<answer>", "..."), code
 * written without a fence (`const x = searchDb("q"); print(x)`), the question said again (once
 * or more, or with its first-message framing "Question: ..."), or an echo of the prompt's own
 * wording — `prompts` are the texts the model was given (see {@link promptWording}): an answer
 * of a few words or more that is contained in them (citation markers aside), or made almost
 * entirely of their phrases. Short answers ("Paris") are never called an echo.
 */
export function answerProblem(
  answer: string,
  question: string,
  prompts: readonly string[] = [],
): string | null {
  const cleaned = cleanAnswer(answer);
  const norm = normalize(cleaned);
  if (norm === "") return "it is empty";
  const bare = normalize(withoutCitations(cleaned));
  if (PLACEHOLDERS.has(norm) || PLACEHOLDERS.has(bare) || PLACEHOLDER_PATTERN.test(bare) || bare === "")
    return "it repeats the placeholder wording of the instructions";
  if (looksLikeCode(cleaned)) return "it is code, not an answer (write code only in ```repl blocks)";
  const q = normalize(question);
  if (repeatsQuestion(norm, q) || repeatsQuestion(bare, q) || /^question\s*:/i.test(cleaned))
    return "it repeats the question";
  if (echoesPrompt(bare, prompts)) return "it repeats the wording of the instructions instead of answering";
  return null;
}

/** Words placeholder wording is made of: a reply of only these may still become one ("your final ..."). */
const PLACEHOLDER_WORDS = new Set(
  "a an actual answer answers based best complete concise effort enter final found full give goes here in insert ipsum lorem my n na nan name none now null on our own passages placeholder provide put question real short string tbd text the this to todo type undefined user variable variablename words write xxx you your".split(
    " ",
  ),
);

/**
 * For streaming a reply before it is complete: a checker of the text so far that says whether
 * it could still turn out not to be an answer — rejected already by {@link answerProblem}, or the
 * start of one that would be: only placeholder words so far, the beginning of the prompt's own
 * wording (contained in `prompts` up to here) or of the question said again. Text it passes can
 * be shown; the rest waits until the reply is complete and checked whole.
 */
export function answerPrefixCheck(
  question: string,
  prompts: readonly string[] = [],
): (prefix: string) => boolean {
  const normalized = prompts.map(promptForm);
  const q = normalize(question);
  const repeated = q === "" ? "" : ` question ${q} question ${q} `;
  return (prefix) => {
    const norm = normalize(withoutCitations(prefix));
    if (norm === "") return true;
    if (norm.split(" ").every((w) => PLACEHOLDER_WORDS.has(w))) return true;
    if (normalized.some((p) => p.includes(` ${norm}`))) return true;
    if (repeated !== "" && (repeated.includes(` ${norm}`) || ` ${q} ${q} ${q} `.includes(` ${norm}`)))
      return true;
    return answerProblem(prefix, question, prompts) !== null;
  };
}

/** The cleaned answer when it is a usable answer to `question`, else null. */
export function usableAnswer(
  raw: string | undefined,
  question: string,
  prompts: readonly string[] = [],
): string | null {
  if (raw === undefined) return null;
  return answerProblem(raw, question, prompts) === null ? cleanAnswer(raw) : null;
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

/** Budget limits as a reader of the answer knows them. */
const LIMIT_WORDS: Record<string, string> = {
  maxIterations: "the iteration limit",
  maxSearchCalls: "the search limit",
  maxTokens: "the token limit",
  maxTimeSeconds: "the time limit",
  maxCostUsd: "the cost limit",
  maxDepth: "the depth limit",
  callTimeoutMs: "the per-call time limit (the model did not answer in time)",
};

/**
 * Sentence boundaries by Unicode's rules (ICU, through `Intl.Segmenter`): "Globex Inc. is a
 * rival" stays one sentence, where splitting after every full stop cut it at "Inc.".
 */
const SENTENCES = new Intl.Segmenter("en", { granularity: "sentence" });

function sentencesOf(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of SENTENCES.segment(text)) {
    const sentence = segment.trim();
    if (sentence) out.push(sentence);
  }
  return out;
}

/**
 * A best-effort answer built without a model from the sources seen so far: the sentences of the
 * best sources that share most words with the question, each with its source id, introduced by
 * which limit ended the run. Never empty and never contains a code fence; with no sources it
 * says nothing relevant was found.
 */
export function synthesizeAnswer(question: string, sources: SearchResult[], limit: string): string {
  const intro = `The investigation stopped at ${LIMIT_WORDS[limit] ?? `the ${limit} limit`} before the model gave a final answer.`;
  if (sources.length === 0) {
    return `${intro} No relevant passages had been found in the documents, so there is no grounded answer to give.`;
  }
  const wanted = terms(question);
  const candidates: Array<{ id: string; sentence: string; overlap: number; rank: number; order: number }> =
    [];
  for (const [rank, source] of sources.slice(0, 5).entries()) {
    const text = quoteSnippet(source.content, 4000);
    const sentences = sentencesOf(text);
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
