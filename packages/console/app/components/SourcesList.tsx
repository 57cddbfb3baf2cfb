import { sourcesByHandle, sourceTitle } from "../lib/citations.ts";
import type { Exchange } from "../lib/exchange.ts";
import { formatScore, preview } from "../lib/format.ts";
import { documentHref } from "../lib/routes.ts";
import { allSearches } from "../lib/trace.ts";

/**
 * The answer's sources, numbered as the answer cites them ([1] is the first source the run
 * found), each linking to its document with a preview of the passage.
 */
export function SourcesList({ exchange: ex }: { exchange: Exchange }) {
  const ext = ex.extension!;
  const steps = ext.steps;
  const history =
    steps && steps.length > 0
      ? steps.flatMap((s) => (s.searches ?? []).map((x) => ({ ids: x.ids ?? [] })))
      : allSearches(ex.trace).map((s) => ({ ids: s.hits.map((h) => h.id) }));
  const sources = sourcesByHandle(ext.sources, history);
  const collection = collectionOfModel(ex.settings.model);
  return (
    <section class="sources" aria-label="Sources">
      <h3 class="sources-title">Sources</h3>
      <ol class="sources-list">
        {sources.map((s, i) => (
          <li key={s.id}>
            <span class="handle">[{i + 1}]</span>{" "}
            <a href={documentHref(s.id, collection)}>{sourceTitle(s)}</a>{" "}
            <span class="muted small">
              {s.id !== sourceTitle(s) ? `${s.id} · ` : ""}score {formatScore(s.score)}
            </span>
            <p class="source-preview">{preview(s.content, 220)}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** `deeprecall/<collection>` → the collection; `deeprecall` → undefined (the default one). */
function collectionOfModel(model: string): string | undefined {
  const slash = model.indexOf("/");
  return slash === -1 ? undefined : model.slice(slash + 1);
}
