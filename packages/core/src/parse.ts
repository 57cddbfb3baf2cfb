/**
 * Reading the model's replies: which fenced blocks are code to run, and whether the text
 * outside code ends the run with FINAL(answer) or FINAL_VAR(name).
 */

const RUNNABLE_LANGS = new Set(["repl", "js", "javascript", "ts", "typescript"]);
/**
 * A fenced block: an opening fence with an optional language tag, then everything up to the
 * next closing fence — or to the end of the text when the fence is never closed (a reply cut by
 * the output-token cap looks like that).
 */
const FENCE = /```([^\n`]*)(?:\n|$)([\s\S]*?)(```|$)/g;

/** Longest answer read from `FINAL(...)` in prose, in characters; longer ones are cut. */
export const MAX_FINAL_CHARS = 100_000;

export interface CodeBlock {
  lang: string;
  code: string;
  /** False when the block's fence was never closed (it runs to the end of the reply). */
  closed: boolean;
}

function* fences(text: string): Generator<CodeBlock> {
  for (const match of text.matchAll(FENCE)) {
    yield {
      lang: (match[1] ?? "").trim().toLowerCase(),
      code: match[2] ?? "",
      closed: match[3] === "```",
    };
  }
}

/**
 * Fenced blocks tagged repl/js/javascript/ts (in order), including an unclosed trailing block
 * (it runs to the end of the reply). Untagged or other-language blocks are not run.
 */
export function extractCodeBlocks(text: string): CodeBlock[] {
  return [...fences(text)].filter((b) => RUNNABLE_LANGS.has(b.lang));
}

/** Python-tagged blocks: the model forgot the sandbox runs JavaScript. */
export function extractPythonBlocks(text: string): string[] {
  return [...fences(text)].filter((b) => b.lang === "python" || b.lang === "py").map((b) => b.code);
}

/**
 * The reply with every fenced block removed — an unclosed trailing fence removes everything
 * after it — so FINAL inside code is never read as text.
 */
export function stripCodeBlocks(text: string): string {
  return text.replace(FENCE, "");
}

export type FinalDirective =
  | {
      kind: "answer";
      answer: string;
      /**
       * False when FINAL( was never closed and the answer runs to the end of the text: in a reply
       * the output-token cap cut, such an answer was cut too.
       */
      closed: boolean;
    }
  | { kind: "var"; name: string };

/**
 * Finds FINAL(...) or FINAL_VAR(name) in the text outside code (closed or unclosed fences).
 * FINAL's argument runs to the parenthesis that balances the opening one (answers often contain
 * parentheses themselves), or to the end of the text when the model never closed it (`closed`
 * says which); it is cut to {@link MAX_FINAL_CHARS} characters.
 */
export function findFinal(text: string): FinalDirective | null {
  const outside = stripCodeBlocks(text);
  const varMatch = /(?:^|[^\w.])FINAL_VAR\(\s*["'`]?([A-Za-z_$][\w$]*)["'`]?\s*\)/.exec(outside);
  const finalIndex = findCallStart(outside, "FINAL");
  if (varMatch && (finalIndex < 0 || varMatch.index < finalIndex)) {
    return { kind: "var", name: varMatch[1]! };
  }
  if (finalIndex < 0) return null;
  const open = finalIndex + "FINAL(".length;
  let depth = 1;
  let end = -1;
  for (let i = open; i < outside.length; i++) {
    const ch = outside[i];
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth === 0) {
        end = i;
        break;
      }
    }
  }
  let answer = (end < 0 ? outside.slice(open) : outside.slice(open, end)).trim();
  answer = unquote(answer);
  if (answer.length > MAX_FINAL_CHARS) answer = answer.slice(0, MAX_FINAL_CHARS);
  return { kind: "answer", answer, closed: end >= 0 };
}

function findCallStart(text: string, name: string): number {
  const re = new RegExp(`(?:^|[^\\w.])${name}\\(`, "g");
  const match = re.exec(text);
  if (!match) return -1;
  return match.index + match[0].length - name.length - 1;
}

/** FINAL("text") and FINAL('text') mean the text, not the quotes. */
function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    const last = value[value.length - 1];
    if ((first === '"' || first === "'" || first === "`") && first === last) {
      const inner = value.slice(1, -1);
      if (first === '"') {
        try {
          return JSON.parse(value) as string;
        } catch {
          return inner;
        }
      }
      return inner;
    }
  }
  return value;
}

// Kept here for the modules that import it from parse.ts.
export { truncate } from "./truncate.ts";
