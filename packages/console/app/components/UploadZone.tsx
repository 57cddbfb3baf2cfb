import { formatBytes } from "@deeprecall/core/format-bytes";
import { useRef, useState } from "preact/hooks";
import { messageOf } from "../lib/api.ts";
import { type UploadProgress, uploadFiles } from "../lib/upload.ts";
import { type FileOutcome, uploadOutcomes } from "../lib/upload-results.ts";
import { UploadResults } from "./UploadResults.tsx";

/**
 * Upload: drop files on the zone or pick them with the (keyboard-usable) button; they go to
 * `POST /v1/documents/upload` in one request, with a progress bar, then each file's outcome:
 * ingested with its chunk count, or rejected with the server's reason.
 */
export function UploadZone({
  collection,
  onUploaded,
}: {
  collection: string | undefined;
  onUploaded: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [sending, setSending] = useState<File[] | null>(null);
  const [outcomes, setOutcomes] = useState<FileOutcome[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upload = async (files: File[]) => {
    if (files.length === 0 || sending) return;
    setSending(files);
    setOutcomes(null);
    setError(null);
    setProgress({ loaded: 0, total: files.reduce((n, f) => n + f.size, 0) });
    try {
      const body = await uploadFiles<unknown>(files, collection, setProgress);
      setOutcomes(uploadOutcomes(body));
      onUploaded();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setSending(null);
      setProgress(null);
      if (input.current) input.current.value = "";
    }
  };

  const pct =
    progress && progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;
  return (
    <section class="upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop target only adds dragging; the button below is the keyboard way in. */}
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void upload([...(e.dataTransfer?.files ?? [])]);
        }}
      >
        <p class="dropzone-title">Drop files here</p>
        <p class="muted small">
          Text, Markdown, HTML, PDF, JSON, CSV and source code. Each file is split into chunks and indexed on
          the server{collection ? ` into the collection “${collection}”` : ""}.
        </p>
        <input
          ref={input}
          id="upload-input"
          class="visually-hidden"
          type="file"
          // "Choose files…" opens it: as a Tab stop of its own it would be an invisible one.
          tabIndex={-1}
          aria-hidden="true"
          multiple
          onChange={(e) => void upload([...(e.currentTarget.files ?? [])])}
        />
        <button
          type="button"
          class="btn btn-primary"
          disabled={sending !== null}
          onClick={() => input.current?.click()}
        >
          Choose files…
        </button>
      </div>
      {sending && progress ? (
        <div class="upload-progress" role="status">
          <label for="upload-progress">
            Uploading {sending.length} file{sending.length === 1 ? "" : "s"} ({formatBytes(progress.total)})…{" "}
            {pct}%{pct === 100 ? " — ingesting on the server" : ""}
          </label>
          <progress id="upload-progress" max={100} value={pct} />
        </div>
      ) : null}
      {error ? (
        <p class="error-text" role="alert">
          Upload failed: {error}
        </p>
      ) : null}
      {outcomes ? <UploadResults outcomes={outcomes} /> : null}
    </section>
  );
}
