import { quoteSnippet } from "./answer-check.ts";
import type { SearchResult } from "./types.ts";

/**
 * The words the engine says to the model. The REPL prompt teaches the model the sandbox it
 * drives: JavaScript (not Python), host functions that look synchronous, how to finish.
 */

/**
 * How the model cites: the short handles [n] the retrieved passages carry (the server turns them
 * into citations that link to the source), or a passage's id in brackets when it has no handle.
 */
export const CITE_RULE =
  'Cite the passages your answer relies on with their handles, e.g. "... founded in 1999 [1]." or "[1][3]": a handle [n] is the number shown before a passage in "Passages already retrieved". For a passage you found yourself that has no handle, cite its id in brackets, e.g. [doc-12]. Never write raw ids without brackets, and do not list sources at the end.';

export interface PromptContext {
  storeName: string;
  documentCount: number | null;
  topK: number;
  maxIterations: number;
  depth: number;
  maxDepth: number;
  maxSearchCalls?: number;
}

export function replSystemPrompt(ctx: PromptContext): string {
  const subLlm =
    ctx.depth < ctx.maxDepth
      ? "llmQuery(prompt) starts a full sub-investigation (its own searches and sandbox) and returns its answer."
      : "llmQuery(prompt) asks a helper model one question and returns its text answer (it cannot search).";
  return `You answer questions about a collection of documents by investigating them with code.

You have a JavaScript REPL (ES2023, QuickJS sandbox). Write code in fenced blocks tagged \`\`\`repl; every block in your reply runs in order, and top-level variables persist between blocks and turns. The sandbox has no network, filesystem, process, require or import: only these globals:

- searchDb(query, topK = ${ctx.topK}, filters?) -> array of { id, content, metadata, score } (score in [0, 1], best first). filters use Chroma syntax, e.g. { source: "a.txt" }, { year: { $gte: 2020 } }, { $or: [...] }.
- llmQuery(prompt) -> string. ${subLlm} Use it to summarise or analyse long text you found.
- llmQueryBatched(prompts) -> array of strings, the prompts run in parallel.
- print(...values) -> shows output to you (console.log works too). You only see what you print.
- context -> extra context for this question (may be empty).
- SHOW_VARS() -> prints the variables you have defined.
- FINAL(answer) -> ends the investigation with this answer (a string).
Host functions are synchronous: \`const hits = searchDb("x")\`; \`await searchDb("x")\` also works.
Aliases with underscores exist (search_db, llm_query, llm_query_batched).

How to work:
1. Search first, with several phrasings if needed. Print what matters (titles, short excerpts), not everything.
2. Read, then refine: follow names, dates and terms you found with new searches (multi-hop).
3. For long material, summarise with llmQuery or llmQueryBatched over chunks.
4. Finish when you can answer from the evidence: write FINAL(your answer) on its own line outside code, or call FINAL(answer) in code, or FINAL_VAR(variableName) outside code to answer with a variable's value. If the documents do not contain the answer, say so.
5. ${CITE_RULE}

Example turn:
\`\`\`repl
const hits = searchDb("causes of the 2008 financial crisis", 8);
for (const h of hits) print(h.id, h.score.toFixed(2), h.content.slice(0, 200));
\`\`\`

Example refinement and summary:
\`\`\`repl
const more = searchDb("subprime mortgage securitization " + hits[0].metadata.source, 5);
const notes = llmQueryBatched(more.map((h) => "Summarise the key causal claim in: " + h.content));
print(notes.join("\\n"));
\`\`\`

Example finish (outside code):
FINAL(The crisis was driven mainly by ... [1][3])

Limits: at most ${ctx.maxIterations} turns${ctx.maxSearchCalls !== undefined ? ` and ${ctx.maxSearchCalls} searches` : ""}. Each block has a time and memory limit, and long output is truncated. The document store is "${ctx.storeName}"${ctx.documentCount !== null ? ` with ${ctx.documentCount} documents` : ""}.`;
}

/** Characters of each grounding passage shown in the first message. */
export const GROUNDING_SNIPPET_CHARS = 300;

/**
 * The passages the grounding search found, as shown to the model: the handle [n] to cite it by,
 * its id, score and a one-line snippet (code fences removed) each, best first. Empty string when
 * there are none. Handle n is the n-th distinct source of the run in the order it was first
 * found (the grounding search comes first), which is how the server maps handles back.
 */
export function groundingBlock(hits: SearchResult[]): string {
  if (hits.length === 0) return "";
  const lines = hits.map(
    (h, i) =>
      `[${i + 1}] id=${JSON.stringify(h.id)} score=${h.score.toFixed(2)}: ${quoteSnippet(h.content, GROUNDING_SNIPPET_CHARS)}`,
  );
  return `Passages already retrieved for this question (a search for the question itself, best first; cite one by its handle, e.g. [1]):\n${lines.join("\n")}`;
}

/**
 * The first user message: optional context, the grounding passages (when the grounding floor
 * found any), the question and how to start. A `rootPrompt` replaces the template (`{query}`
 * substituted); the grounding passages are then appended after it.
 */
export function firstUserMessage(
  query: string,
  ctx: PromptContext,
  contextPrefix?: string,
  rootPrompt?: string,
  grounding: SearchResult[] = [],
): string {
  const passages = groundingBlock(grounding);
  if (rootPrompt) {
    const base = rootPrompt.includes("{query}")
      ? rootPrompt.replaceAll("{query}", query)
      : `${rootPrompt}\n\nQuestion: ${query}`;
    return passages ? `${base}\n\n${passages}` : base;
  }
  const prefix = contextPrefix ? `Context:\n${contextPrefix}\n\n` : "";
  const found = passages ? `${passages}\n\n` : "";
  const start = passages
    ? `Start by searching the "${ctx.storeName}" store (default topK ${ctx.topK}) for what these passages do not settle, then answer from the evidence. Write a \`\`\`repl block.`
    : `Start by searching the "${ctx.storeName}" store (default topK ${ctx.topK}). Write a \`\`\`repl block.`;
  return `${prefix}${found}Question: ${query}\n\n${start}`;
}

/** Told to the model when its FINAL(...) held no answer (empty, placeholder wording, the question). */
export function rejectedFinalMessage(problem: string): string {
  return `Your FINAL(...) was not accepted: ${problem}. Put the actual answer to the question inside FINAL(...), in your own words, based on the passages you found.`;
}

export function replOutputMessage(parts: string[]): string {
  if (parts.length === 0) return "(no output)";
  return `REPL output:\n${parts.join("\n\n")}`;
}

export const NO_CODE_NUDGE =
  "No code ran this turn. Write a ```repl block to investigate, or finish with FINAL(answer) outside code.";

export const PYTHON_NUDGE =
  'Your block was tagged python, but the sandbox runs JavaScript (QuickJS), not Python. Rewrite it as JavaScript in a ```repl block, e.g. `const hits = searchDb("..."); for (const h of hits) print(h.content);`.';

export function forcedFinalMessage(reason: string): string {
  return `${reason} Do not write code. Answer the question now from what you have found, in the form FINAL(your answer).`;
}

export function toolsSystemPrompt(ctx: PromptContext): string {
  return `You answer questions about a collection of documents (the "${ctx.storeName}" store${ctx.documentCount !== null ? `, ${ctx.documentCount} documents` : ""}). Use the searchDb tool, several times with refined queries if needed (multi-hop), before answering. Do not write text before a tool call; when you have enough evidence, write the final answer directly. If the documents do not contain the answer, say so. ${CITE_RULE}`;
}

export function compactionPrompt(transcript: string): string {
  return `Summarise this investigation so far in at most 300 words: what was searched, what was found (keep ids, names, numbers, quotes that matter), and what is still open.\n\n${transcript}`;
}
