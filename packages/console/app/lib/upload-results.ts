/** How one uploaded file fared, as the Documents screen lists it. */
export interface FileOutcome {
  filename: string;
  ok: boolean;
  /** Chunks written, for an ingested file. */
  chunks?: number;
  /** Why the server refused the file (or what failed while ingesting it). */
  reason?: string;
  /** Chunks of an earlier upload of the same file name that this one replaced. */
  replaced?: number;
}

/**
 * The per-file outcomes of a `POST /v1/documents/upload` body. Reads the list under `data`,
 * `files` or `results`, and per file its name (`filename` | `name` | `file`), whether it went
 * in (`status` "ingested" / "rejected" / "failed", or `ok`), its chunk count (`chunks` |
 * `chunk_count` | `count` | `ids.length`) and its reason (`reason` | `error` | `error.message`
 * | `message`) and the chunks of an earlier version it replaced (`replaced`), so a field renamed
 * on the server does not lose a rejection's reason. The server's shape today:
 * `{ files: [{ filename, status, chunks, ids, bytes, reason, replaced }], ingested, rejected, chunks }`.
 */
export function uploadOutcomes(body: unknown): FileOutcome[] {
  if (typeof body !== "object" || body === null) return [];
  const b = body as Record<string, unknown>;
  const list = [b.data, b.files, b.results].find(Array.isArray) as unknown[] | undefined;
  if (!list) return [];
  return list.flatMap((entry) => {
    if (typeof entry !== "object" || entry === null) return [];
    const e = entry as Record<string, unknown>;
    const filename = [e.filename, e.name, e.file].find((v) => typeof v === "string") as string | undefined;
    const error = e.error;
    const reason = [
      e.reason,
      typeof error === "string" ? error : undefined,
      typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined,
      e.message,
    ].find((v) => typeof v === "string" && v !== "") as string | undefined;
    const status = typeof e.status === "string" ? e.status.toLowerCase() : undefined;
    const ok =
      status !== undefined
        ? status === "ingested" || status === "ok" || status === "added"
        : e.ok === true || !reason;
    const chunks = [e.chunks, e.chunk_count, e.count, Array.isArray(e.ids) ? e.ids.length : undefined].find(
      (v) => typeof v === "number",
    ) as number | undefined;
    return [
      {
        filename: filename ?? "(unnamed file)",
        ok,
        ...(chunks !== undefined ? { chunks } : {}),
        ...(!ok ? { reason: reason ?? "rejected by the server" } : {}),
        ...(ok && typeof e.replaced === "number" && e.replaced > 0 ? { replaced: e.replaced } : {}),
      },
    ];
  });
}
