/**
 * Reading the model's replies: which fenced blocks are code to run, and whether the text
 * outside code ends the run with FINAL(answer) or FINAL_VAR(name).
 */

const RUNNABLE_LANGS = new Set(["repl", "js", "javascript", "ts", "typescript"]);
const FENCE = /```([^\n`]*)\n([\s\S]*?)```/g;

export interface CodeBlock {
  lang: string;
  code: string;
}

/** Fenced blocks tagged repl/js/javascript (in order). Untagged or other-language blocks are not run. */
export function extractCodeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const match of text.matchAll(FENCE)) {
    const lang = (match[1] ?? "").trim().toLowerCase();
    if (RUNNABLE_LANGS.has(lang)) blocks.push({ lang, code: match[2] ?? "" });
  }
  return blocks;
}

/** Python-tagged blocks: the model forgot the sandbox runs JavaScript. */
export function extractPythonBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const match of text.matchAll(FENCE)) {
    const lang = (match[1] ?? "").trim().toLowerCase();
    if (lang === "python" || lang === "py") blocks.push(match[2] ?? "");
  }
  return blocks;
}

/** The reply with every fenced block removed, so FINAL inside code is not read as text. */
export function stripCodeBlocks(text: string): string {
  return text.replace(FENCE, "");
}

export type FinalDirective = { kind: "answer"; answer: string } | { kind: "var"; name: string };

/**
 * Finds FINAL(...) or FINAL_VAR(name) in the text outside code. FINAL's argument runs to the
 * parenthesis that balances the opening one (answers often contain parentheses themselves),
 * or to the end of the text when the model never closed it.
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
  return { kind: "answer", answer };
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

/** Cuts `text` to `max` characters, saying how much was dropped. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[output truncated: ${text.length - max} more characters]`;
}
