import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../lib/api.ts";
import type { DocumentJson } from "../lib/api-types.ts";
import { chunkLabel } from "../lib/chunk.ts";
import { deleteInBatches, findFileChunks, neighbours } from "../lib/file-chunks.ts";
import { formatInt } from "../lib/format.ts";
import { documentHref, documentsHref } from "../lib/routes.ts";
import { ConfirmDialog } from "./ConfirmDialog.tsx";

/**
 * The file a chunk belongs to (its `metadata.source`): links to the previous and next chunk, and
 * "Delete the whole file (N chunks)" — one confirmation, then the chunks go in batches with
 * progress — instead of one confirmed delete per chunk.
 */
export function FileChunks({ doc, collection }: { doc: DocumentJson; collection: string | undefined }) {
  const source = typeof doc.metadata?.source === "string" ? doc.metadata.source : null;
  const [chunks, setChunks] = useState<DocumentJson[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [progress, setProgress] = useState<string>("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!source) return;
    const controller = new AbortController();
    setChunks(null);
    findFileChunks(source, collection, controller.signal)
      .then(setChunks)
      .catch((e) => !controller.signal.aborted && setError(messageOf(e)));
    return () => controller.abort();
  }, [source, collection, doc.id]);

  if (!source) return null;
  if (error)
    return (
      <p class="muted small">
        Could not find the other chunks of {source}: {error}
      </p>
    );
  if (!chunks) {
    return chunkLabel(doc.metadata) ? (
      <p class="muted small" role="status">
        Finding the other chunks of {source}…
      </p>
    ) : null;
  }
  const { previous, next } = neighbours(chunks, doc.id);
  const count = chunks.length;

  const remove = async () => {
    setConfirming(false);
    setBusy(true);
    setProgress(`Deleting ${formatInt(count)} chunks…`);
    try {
      const removed = await deleteInBatches(
        chunks.map((d) => d.id),
        collection,
        (done) => setProgress(`Deleted ${formatInt(done)} of ${formatInt(count)} chunks…`),
      );
      setProgress(`Deleted ${source}: ${formatInt(removed)} chunk${removed === 1 ? "" : "s"}.`);
      location.hash = documentsHref(collection);
    } catch (e) {
      setProgress(`Could not delete all of ${source}: ${messageOf(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="file-chunks">
      {previous || next ? (
        <nav aria-label="Chunks of this file" class="row">
          {previous ? (
            <a href={documentHref(previous.id, collection)} rel="prev">
              ← Previous chunk
            </a>
          ) : null}
          {next ? (
            <a href={documentHref(next.id, collection)} rel="next">
              Next chunk →
            </a>
          ) : null}
        </nav>
      ) : null}
      {count > 1 ? (
        <div class="row">
          <button
            type="button"
            class="btn btn-small btn-danger-quiet"
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            Delete the whole file ({formatInt(count)} chunks)
          </button>
          <span class="muted small" role="status">
            {progress}
          </span>
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title="Delete the whole file?"
        message={`All ${formatInt(count)} chunks of “${source}” will be removed from the store. Answers can no longer cite them.`}
        confirmLabel={`Delete ${formatInt(count)} chunks`}
        onConfirm={() => void remove()}
        onCancel={() => setConfirming(false)}
      />
    </div>
  );
}
