import { useMemo } from "preact/hooks";
import { linkCitations } from "../lib/citations.ts";
import type { Exchange } from "../lib/exchange.ts";
import { renderMarkdown } from "../lib/markdown.ts";

/**
 * The answer as sanitised markdown. While it streams the region is `aria-busy` (screen readers
 * read it once complete rather than word by word); once the citations arrive, `[1]` and
 * friends link to their sources.
 */
export function Answer({ exchange: ex }: { exchange: Exchange }) {
  const html = useMemo(
    () => renderMarkdown(linkCitations(ex.answer, ex.annotations, location.origin)),
    [ex.answer, ex.annotations],
  );
  return (
    <div
      class="answer markdown"
      aria-live="polite"
      aria-busy={ex.status === "streaming"}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
