import type { Exchange } from "../lib/exchange.ts";
import { formatInt, formatMs } from "../lib/format.ts";
import type { IterationView } from "../lib/trace.ts";
import { CodeBlock } from "./CodeBlock.tsx";
import { SearchItem } from "./SearchItem.tsx";
import { SubLlmItem } from "./SubLlmItem.tsx";

/**
 * One iteration of the investigation: its time and tokens once complete, the model's whole
 * reply (folded), then the code it wrote with what it printed, and the searches and sub-LLM
 * calls that code made, in the order they happened. A turn the run ended in the middle of
 * (Stop, a failure) says so rather than staying an empty card.
 */
export function IterationCard({
  iteration: it,
  runStatus,
  limit = null,
  collection,
  last = false,
}: {
  /** The run's last step: the one a limit can have cut. */
  last?: boolean;
  /** The collection the run searched: hit ids link to its documents. */
  collection: string | undefined;
  iteration: IterationView;
  runStatus: Exchange["status"];
  /** The limit that ended the run, in words ("the time limit (1 s)"), or null. */
  limit?: string | null;
}) {
  const live = runStatus === "streaming";
  const running = it.status === "running" && live;
  const cut = it.status === "running" && !live;
  // A turn that completed with nothing to show: the limit ended the model call before its reply.
  const emptied =
    !live && last && limit !== null && it.status === "complete" && !it.modelText && it.items.length === 0;
  return (
    <li class={`iteration${running ? " running" : ""}`} aria-busy={running}>
      <div class="iteration-head">
        {it.forced ? (
          <h3>Final answer{limit ? ` (after ${limit})` : " (after a budget limit)"}</h3>
        ) : (
          <h3>Iteration {it.iteration}</h3>
        )}
        {it.final && !it.forced ? <span class="badge badge-done">final answer</span> : null}
        {running ? (
          <span class="badge badge-streaming">
            <span class="spinner" aria-hidden="true" /> running
          </span>
        ) : null}
        {cut ? (
          <span class="badge badge-stopped">{runStatus === "stopped" ? "stopped" : "cut off"}</span>
        ) : null}
        <span class="muted small">
          {it.timeMs !== undefined ? formatMs(it.timeMs) : ""}
          {it.usage ? ` · ${formatInt(it.usage.total_tokens)} tokens` : ""}
        </span>
      </div>
      {it.modelText ? (
        <details class="model-text">
          <summary>Model reply ({formatInt(it.modelText.length)} characters)</summary>
          <pre>{it.modelText}</pre>
        </details>
      ) : null}
      {it.items.length > 0 ? (
        <ul class="trace-items">
          {it.items.map((item, i) => {
            if (item.kind === "code") return <CodeBlock key={`c${item.index}`} block={item} live={live} />;
            if (item.kind === "search") return <SearchItem key={i} search={item} collection={collection} />;
            return <SubLlmItem key={i} call={item} />;
          })}
        </ul>
      ) : running ? (
        <p class="muted small">The model is thinking…</p>
      ) : null}
      {it.forced ? (
        <p class="muted small">
          The budget was spent, so the engine asked the model once more for its final answer from what was
          found — one last call, not another iteration.
        </p>
      ) : null}
      {emptied ? <p class="muted small">Cut off by {limit} before the model's reply came.</p> : null}
      {cut ? (
        <p class="muted small">
          {runStatus === "stopped"
            ? "Stopped before this turn finished."
            : runStatus === "error"
              ? "The run failed before this turn finished."
              : limit
                ? `Cut off by ${limit} before this turn finished.`
                : "The run ended before this turn finished."}
        </p>
      ) : null}
    </li>
  );
}
