import { formatMs, formatScore } from "../lib/format.ts";
import { documentHref } from "../lib/routes.ts";
import type { SearchView } from "../lib/trace.ts";

/**
 * One search: its query, top_k, how long it took (or that the cache answered), and each hit's id
 * (a link to the document in `collection`) and score.
 */
export function SearchItem({ search, collection }: { search: SearchView; collection: string | undefined }) {
  return (
    <li class="trace-item trace-search">
      <div class="item-label">
        Search <span class="muted">top {search.topK}</span>
        <span class="muted small">
          {" "}
          · {formatMs(search.timeMs)}
          {search.cached ? " · cached" : ""}
        </span>
      </div>
      <p class="search-query">
        <q>{search.query}</q>
      </p>
      {search.hits.length > 0 ? (
        <ol class="hits" aria-label={`Hits for ${search.query}`}>
          {search.hits.map((h) => (
            <li key={h.id}>
              <a href={documentHref(h.id, collection)}>
                <code class="hit-id">{h.id}</code>
              </a>{" "}
              <span class="muted">{formatScore(h.score)}</span>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted small">no hits</p>
      )}
    </li>
  );
}
