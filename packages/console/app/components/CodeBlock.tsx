import { useMemo } from "preact/hooks";
import { highlightCode } from "../lib/highlight.ts";
import type { CodeView } from "../lib/trace.ts";

/**
 * A block of code the model wrote, highlighted, with what running it printed (or its error)
 * beneath once the sandbox has run it; "running…" meanwhile while the run is `live`.
 */
export function CodeBlock({ block, live }: { block: CodeView; live: boolean }) {
  const html = useMemo(() => highlightCode(block.code) ?? "", [block.code]);
  const ran = block.output !== undefined || (block.error !== undefined && block.error !== null);
  return (
    <li class="trace-item trace-code">
      <div class="item-label">Code {block.index + 1}</div>
      <pre class="code">
        <code class="hljs language-javascript" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
      {ran ? (
        <>
          {block.output ? (
            <>
              <div class="item-label">Output</div>
              <pre class="output">{block.output}</pre>
            </>
          ) : (
            <div class="item-label muted">No output</div>
          )}
          {block.error ? (
            <>
              <div class="item-label error-text">Error</div>
              <pre class="output output-error">{block.error}</pre>
            </>
          ) : null}
        </>
      ) : live ? (
        <div class="item-label muted">
          <span class="spinner" aria-hidden="true" /> running…
        </div>
      ) : (
        <div class="item-label muted">did not finish</div>
      )}
    </li>
  );
}
