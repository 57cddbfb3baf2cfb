import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";
import { highlightCode } from "./highlight.ts";

/**
 * Markdown → safe HTML for answers. Answers quote document text, and documents are untrusted (a
 * prompt injection can make the model write any HTML), so raw HTML in an answer is shown as the
 * text it is, never parsed as markup, and everything marked produces still goes through
 * DOMPurify; on top of its defaults: no images (a remote image in an answer would leak the
 * reader's visit, and the text around it, to whoever wrote the document), no forms or styles,
 * and links that leave the console open in a new tab without an opener.
 */
const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? "").trim().split(/\s+/)[0] ?? "";
      const html = highlightCode(text, language) ?? escapeHtml(text);
      return `<pre class="code"><code class="hljs">${html}</code></pre>\n`;
    },
    image({ text, href }: Tokens.Image): string {
      return escapeHtml(text || href);
    },
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
  },
});

let hooked = false;

function purify(html: string): string {
  if (!hooked) {
    hooked = true;
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName !== "A") return;
      const href = node.getAttribute("href") ?? "";
      if (/^https?:/i.test(href)) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
  }
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ["img", "style", "form", "input", "button", "textarea", "select", "iframe", "svg", "math"],
    FORBID_ATTR: ["style"],
  });
}

/** Sanitised HTML for `markdown` (an answer, possibly still streaming in). */
export function renderMarkdown(markdown: string): string {
  return purify(marked.parse(markdown, { async: false }));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
