import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, apiJson, messageOf } from "../lib/api.ts";
import type { DocumentJson, DocumentListJson } from "../lib/api-types.ts";
import { chunkLabel } from "../lib/chunk.ts";
import { sourceTitle } from "../lib/citations.ts";
import { formatInt, preview, shortId } from "../lib/format.ts";
import { documentHref } from "../lib/routes.ts";
import { ConfirmDialog } from "./ConfirmDialog.tsx";

const PAGE = 25;

/** `v1/documents?limit=&after=&q=&collection=`. */
function listUrl(collection: string | undefined, q: string, after: string | null): string {
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (after) params.set("after", after);
  if (q) params.set("q", q);
  if (collection) params.set("collection", collection);
  return `v1/documents?${params}`;
}

/**
 * What the collection holds, a page at a time (the server's cursor; "Load more" fetches the
 * next), filtered by a text search as you type; each row opens the document or deletes it
 * after a confirmation.
 */
export function DocumentList({
  collection,
  version,
  total,
  onChanged,
}: {
  collection: string | undefined;
  /** How many documents the collection holds (from `/v1/models`), when known. */
  total?: number | undefined;
  /** Bumped after an upload: reload from the first page. */
  version: number;
  /** Called after a delete (the collection's document count changed). */
  onChanged: () => void;
}) {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [docs, setDocs] = useState<DocumentJson[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The collection does not exist yet (an upload into it creates it). */
  const [missing, setMissing] = useState(false);
  const [status, setStatus] = useState("");
  const [confirming, setConfirming] = useState<DocumentJson | null>(null);
  const loadId = useRef(0);

  // The search runs once typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);

  const load = async (after: string | null) => {
    const id = ++loadId.current;
    setLoading(true);
    setError(null);
    try {
      const page = await apiJson<DocumentListJson>(listUrl(collection, query, after));
      if (id !== loadId.current) return;
      setMissing(false);
      setDocs((prev) => (after ? [...prev, ...page.data] : page.data));
      setCursor(page.has_more ? page.next_cursor : null);
    } catch (e) {
      if (id !== loadId.current) return;
      if (!after) setDocs([]);
      setCursor(null);
      if (e instanceof ApiError && e.code === "collection_not_found") setMissing(true);
      else setError(messageOf(e));
    } finally {
      if (id === loadId.current) setLoading(false);
    }
  };

  useEffect(() => {
    void load(null);
  }, [collection, query, version]);

  // A message about a delete belongs to the list it was made in.
  useEffect(() => setStatus(""), [collection, query]);

  const remove = async (doc: DocumentJson) => {
    setConfirming(null);
    try {
      const res = await apiJson<{ count: number; not_found: string[] }>("v1/documents", {
        method: "DELETE",
        json: { ids: [doc.id], ...(collection ? { collection } : {}) },
      });
      setDocs((list) => list.filter((d) => d.id !== doc.id));
      setStatus(res.count > 0 ? `Deleted ${doc.id}.` : `${doc.id} was already gone.`);
      onChanged();
    } catch (e) {
      setStatus(`Could not delete ${doc.id}: ${messageOf(e)}`);
    }
  };

  return (
    <section class="doc-list" aria-labelledby="doc-list-title">
      <div class="section-head">
        <h2 id="doc-list-title">Stored documents</h2>
        <search class="doc-search">
          <label for="doc-search">Search documents</label>
          <input
            id="doc-search"
            type="search"
            value={q}
            placeholder="text in the content, source or title"
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </search>
      </div>
      <p class="muted small" role="status">
        {status ||
          (loading
            ? "Loading…"
            : !query && cursor && total !== undefined && total >= docs.length
              ? `Showing ${formatInt(docs.length)} of ${formatInt(total)} documents`
              : `${formatInt(docs.length)}${cursor ? "+" : ""} document${docs.length === 1 ? "" : "s"}${query ? ` matching “${query}”` : ""}`)}
      </p>
      {error ? (
        <p class="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {docs.length > 0 ? (
        <div class="table-scroll">
          <table class="docs">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Source</th>
                <th scope="col">Content</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {docs.map((d) => (
                <tr key={d.id}>
                  <td class="cell-id">
                    {/* One line, cut in the middle: a wrapped hash reads as several ids. The
                        full id is the link's name and its tooltip. */}
                    <a
                      href={documentHref(d.id, collection)}
                      title={d.id}
                      aria-label={shortId(d.id) === d.id ? undefined : d.id}
                    >
                      {shortId(d.id)}
                    </a>
                  </td>
                  <td class="cell-source">
                    {sourceTitle(d) === d.id ? "—" : sourceTitle(d)}
                    {chunkLabel(d.metadata) ? (
                      <span class="muted small block">{chunkLabel(d.metadata)}</span>
                    ) : null}
                  </td>
                  <td class="cell-preview">{preview(d.content, 180)}</td>
                  <td class="cell-actions">
                    <button
                      type="button"
                      class="btn btn-small btn-danger-quiet"
                      aria-label={`Delete ${d.id}`}
                      onClick={() => setConfirming(d)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !loading && !error ? (
        <p class="list-empty">
          {missing
            ? `The collection “${collection}” does not exist yet: upload files above to create it.`
            : query
              ? "No document matches this search."
              : "This collection holds no documents yet: upload some above."}
        </p>
      ) : null}
      {cursor ? (
        <button type="button" class="btn" disabled={loading} onClick={() => void load(cursor)}>
          {loading ? "Loading…" : "Load more"}
        </button>
      ) : null}
      <ConfirmDialog
        open={confirming !== null}
        title="Delete this document?"
        message={
          confirming
            ? `“${confirming.id}” (${sourceTitle(confirming)}) will be removed from the store. Answers can no longer cite it.`
            : ""
        }
        confirmLabel="Delete"
        onConfirm={() => confirming && void remove(confirming)}
        onCancel={() => setConfirming(null)}
      />
    </section>
  );
}
