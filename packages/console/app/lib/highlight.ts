import hljs from "highlight.js/lib/core";
import javascript from "highlight.js/lib/languages/javascript";

// Only JavaScript is registered: it is what the model writes in the sandbox, and every other
// language would add to the bundle for code the console never shows.
hljs.registerLanguage("javascript", javascript);

const JS = /^(js|javascript|repl|mjs|ts|typescript|node)$/i;

/**
 * `code` as highlighted HTML (highlight.js escapes the text; only its own `<span class>` markup
 * is added) when `lang` is JavaScript-like or empty, else null (the caller shows it as plain text).
 */
export function highlightCode(code: string, lang = "javascript"): string | null {
  if (lang !== "" && !JS.test(lang)) return null;
  return hljs.highlight(code, { language: "javascript", ignoreIllegals: true }).value;
}
