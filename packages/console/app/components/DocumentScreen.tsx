import { useEffect, useRef, useState } from "preact/hooks";
import { apiJson, messageOf } from "../lib/api.ts";
import type { DocumentJson } from "../lib/api-types.ts";
import { chunkLabel } from "../lib/chunk.ts";
import { sourceTitle } from "../lib/citations.ts";
import { formatInt } from "../lib/format.ts";
import { documentsHref } from "../lib/routes.ts";
import { FileChunks } from "./FileChunks.tsx";

/**
 * One stored document (`#/documents/<id>`, where citations lead): its full text and metadata,
 * from `GET /v1/documents/{id}`. Focus moves to its heading so a keyboard or screen reader user
 * lands on what they followed.
 */
export function DocumentScreen({ id, collection }: { id: string; collection: string | undefined }) {
  const [doc, setDoc] = useState<DocumentJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    setDoc(null);
    setError(null);
    const query = collection ? `?collection=${encodeURIComponent(collection)}` : "";
    apiJson<DocumentJson>(`v1/documents/${encodeURIComponent(id)}${query}`)
      .then((d) => live && setDoc(d))
      .catch((e) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [id, collection]);

  useEffect(() => {
    if (doc || error) heading.current?.focus();
  }, [doc, error]);

  const metadata = Object.entries(doc?.metadata ?? {});
  return (
    <div class="page document-page">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <a href={documentsHref(collection)}>Documents</a>
        {collection ? <span class="muted"> / {collection}</span> : null}
        <span class="muted"> / {id}</span>
      </nav>
      {error ? (
        <>
          <h1 ref={heading} tabIndex={-1}>
            Document not available
          </h1>
          <p class="error-text" role="alert">
            {error}
          </p>
        </>
      ) : !doc ? (
        <p class="muted" role="status">
          Loading {id}…
        </p>
      ) : (
        <article class="document">
          <h1 ref={heading} tabIndex={-1}>
            {sourceTitle(doc)}
          </h1>
          <p class="muted small">
            {chunkLabel(doc.metadata) ? `${chunkLabel(doc.metadata)} · ` : ""}
            <code>{doc.id}</code> · {formatInt(doc.content.length)} characters
          </p>
          <FileChunks doc={doc} collection={collection} />
          {metadata.length > 0 ? (
            <details class="metadata" open>
              <summary>Metadata</summary>
              <dl class="metadata-list">
                {metadata.map(([key, value]) => (
                  <div key={key}>
                    <dt>{key}</dt>
                    <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
                  </div>
                ))}
              </dl>
            </details>
          ) : null}
          <h2 class="visually-hidden">Text</h2>
          <pre class="document-text">{doc.content}</pre>
        </article>
      )}
    </div>
  );
}
