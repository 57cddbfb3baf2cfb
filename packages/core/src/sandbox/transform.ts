/**
 * Rewrites one REPL block of model-written JavaScript so it can run repeatedly in the same
 * QuickJS global scope:
 *
 * - top-level `const`/`let`/`var`/`class` declarations become assignments to global `var`s, so a
 *   later block may declare the same name again and every top-level name persists;
 * - top-level function declarations stay where they are (they keep hoisting) and are copied to
 *   the global object when the block starts;
 * - the block runs inside an async arrow function, so top-level `await` works.
 *
 * Parsing uses acorn (a real ECMAScript parser): regex-based rewriting breaks on strings,
 * comments and template literals. Line numbers of the user's code are preserved (all inserted
 * code goes on the first line or inside existing lines).
 */
import { type Node, type Pattern, parse, type Statement, type VariableDeclaration } from "acorn";
import { getErrorMessage } from "../errors/get-error-message.ts";

export interface TransformedBlock {
  /** Script to evaluate: declares globals, evaluates to the block's promise. */
  code: string;
  /** Top-level names the block declares. */
  declaredNames: string[];
}

/** A parse failure, already worded for the model. */
export class BlockSyntaxError extends Error {
  override readonly name = "SyntaxError";
}

interface Edit {
  at: number;
  /** Characters to remove starting at `at` (0 for a pure insertion). */
  remove: number;
  text: string;
}

/** Rewrites a block; throws `BlockSyntaxError` with a model-readable message when it does not parse. */
export function transformBlock(source: string): TransformedBlock {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(source, {
      ecmaVersion: "latest",
      sourceType: "script",
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      allowHashBang: true,
      locations: true,
    });
  } catch (error) {
    throw new BlockSyntaxError(describeSyntaxError(source, error));
  }

  const names = new Set<string>();
  const functionNames: string[] = [];
  const edits: Edit[] = [];

  for (const statement of program.body as Statement[]) {
    switch (statement.type) {
      case "VariableDeclaration":
        rewriteDeclaration(statement, names, edits);
        break;
      case "ClassDeclaration": {
        const name = statement.id.name;
        names.add(name);
        edits.push({ at: statement.start, remove: 0, text: `;${name} = ` });
        edits.push({ at: statement.end, remove: 0, text: ";" });
        break;
      }
      case "FunctionDeclaration": {
        const name = statement.id.name;
        names.add(name);
        functionNames.push(name);
        break;
      }
      default:
        break;
    }
  }

  let body = source;
  edits.sort((a, b) => b.at - a.at);
  for (const edit of edits) {
    body = body.slice(0, edit.at) + edit.text + body.slice(edit.at + edit.remove);
  }

  const declared = [...names];
  const globalsPrelude = declared.length > 0 ? `var ${declared.join(", ")}; ` : "";
  const functionExports = functionNames
    .map((name) => `globalThis[${JSON.stringify(name)}] = ${name};`)
    .join(" ");
  // Everything added goes on line 1, so error line numbers match the model's code.
  const code = `${globalsPrelude}(async () => { ${functionExports}${body}\n})()`;
  return { code, declaredNames: declared };
}

function rewriteDeclaration(node: VariableDeclaration, names: Set<string>, edits: Edit[]): void {
  if (node.kind !== "var" && node.kind !== "let" && node.kind !== "const") {
    // `using` declarations keep their block semantics; they stay local to the block.
    return;
  }
  const first = node.declarations[0];
  if (first === undefined) return;
  // Drop the keyword; the leading ";" guards against ASI joining with the previous line.
  edits.push({ at: node.start, remove: first.start - node.start, text: ";" });
  for (const declarator of node.declarations) {
    collectPatternNames(declarator.id, names);
    const isObjectPattern = declarator.id.type === "ObjectPattern";
    if (declarator.init == null) {
      // `let x;` resets x like a fresh declaration would; `var x;` keeps the current value.
      if (node.kind !== "var") edits.push({ at: declarator.end, remove: 0, text: " = undefined" });
      continue;
    }
    if (isObjectPattern) {
      // `{ a } = obj` is a block statement followed by junk; `({ a } = obj)` is an assignment.
      edits.push({ at: declarator.start, remove: 0, text: "(" });
      edits.push({ at: declarator.end, remove: 0, text: ")" });
    }
  }
}

function collectPatternNames(pattern: Pattern | Node, names: Set<string>): void {
  const node = pattern as Pattern;
  switch (node.type) {
    case "Identifier":
      names.add(node.name);
      break;
    case "ObjectPattern":
      for (const property of node.properties) {
        if (property.type === "RestElement") collectPatternNames(property.argument, names);
        else collectPatternNames(property.value, names);
      }
      break;
    case "ArrayPattern":
      for (const element of node.elements) if (element) collectPatternNames(element, names);
      break;
    case "RestElement":
      collectPatternNames(node.argument, names);
      break;
    case "AssignmentPattern":
      collectPatternNames(node.left, names);
      break;
    default:
      break;
  }
}

const PYTHON_HINTS: RegExp[] = [
  /^\s*def\s+\w+\s*\(.*\)\s*(->\s*[^:]+)?:\s*(#.*)?$/m,
  /^\s*(for|while|if|elif|else|try|except|finally|with)\b[^{;]*:\s*(#.*)?$/m,
  /^\s*elif\b/m,
  /^\s*except\b/m,
  /^\s*(from\s+[\w.]+\s+)?import\s+[\w.]+(\s+as\s+\w+)?\s*$/m,
  /\bf"[^"\n]*\{[^}\n]*\}[^"\n]*"/,
  /\bf'[^'\n]*\{[^}\n]*\}[^'\n]*'/,
  /^\s*print\s+["'\w]/m,
  /\blambda\s+\w*\s*:/,
  /^\s*#\s/m,
];

/** Heuristic: does this failed-to-parse block look like Python? */
export function looksLikePython(source: string): boolean {
  return PYTHON_HINTS.some((re) => re.test(source));
}

function describeSyntaxError(source: string, error: unknown): string {
  const raw = getErrorMessage(error);
  const loc = (error as { loc?: { line: number; column: number } } | null)?.loc;
  // acorn appends "(line:column)"; say it in words instead.
  const message = raw.replace(/\s*\(\d+:\d+\)\s*$/, "");
  const where = loc ? ` (line ${loc.line}, column ${loc.column + 1})` : "";
  const lineText = loc ? source.split("\n")[loc.line - 1]?.trim() : undefined;
  const snippet = lineText ? `\n  ${lineText.length > 120 ? `${lineText.slice(0, 117)}...` : lineText}` : "";
  if (looksLikePython(source)) {
    return `SyntaxError: this sandbox runs JavaScript, not Python. Rewrite the block in JavaScript (e.g. \`for (const hit of hits) { print(hit.content) }\`, template literals \`\${x}\` instead of f-strings, \`function f(a) { ... }\` instead of def, true/false/null instead of True/False/None). Parser error: ${message}${where}${snippet}`;
  }
  if (/'import' and 'export' may appear only/.test(raw)) {
    return `SyntaxError: import/export are not available in the sandbox${where}; no modules can be loaded. Use the provided globals (searchDb, llmQuery, llmQueryBatched, print, FINAL, context).${snippet}`;
  }
  return `SyntaxError: ${message}${where}${snippet}`;
}
