import type { FileOutcome } from "../lib/upload-results.ts";

/** Each uploaded file's outcome: ingested (with its chunk count) or rejected (with the reason). */
export function UploadResults({ outcomes }: { outcomes: FileOutcome[] }) {
  const ingested = outcomes.filter((o) => o.ok).length;
  const rejected = outcomes.length - ingested;
  return (
    <div class="upload-results" role="status">
      <p>
        {ingested} file{ingested === 1 ? "" : "s"} ingested
        {rejected > 0 ? `, ${rejected} rejected` : ""}.
      </p>
      <ul class="outcomes">
        {outcomes.map((o, i) => (
          <li key={i} class={o.ok ? "outcome ok" : "outcome rejected"}>
            <span class="outcome-icon" aria-hidden="true">
              {o.ok ? "✓" : "✕"}
            </span>
            <span class="outcome-name">{o.filename}</span>
            <span class="outcome-text">
              {o.ok
                ? `ingested${o.chunks !== undefined ? ` — ${o.chunks} chunk${o.chunks === 1 ? "" : "s"}` : ""}${
                    o.replaced ? ` (replaced ${o.replaced} from an earlier upload)` : ""
                  }`
                : `rejected — ${o.reason}`}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
