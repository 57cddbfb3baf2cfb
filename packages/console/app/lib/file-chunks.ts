import { apiJson } from "./api.ts";
import type { DocumentJson, DocumentListJson } from "./api-types.ts";

/** Documents per page when looking for a file's chunks (the server's largest page). */
const PAGE = 1000;
/** Ids per DELETE call: a big file's chunks go in a few calls, each with a modest body. */
export const DELETE_BATCH = 200;

/**
 * Every chunk of the file `source` in `collection`: the server's text search (`q`, which also
 * matches `metadata.source`) paged to the end, keeping exact `metadata.source` matches only (the
 * search also finds other files whose name or text contains it). In chunk order.
 */
export async function findFileChunks(
  source: string,
  collection: string | undefined,
  signal?: AbortSignal,
): Promise<DocumentJson[]> {
  const found: DocumentJson[] = [];
  let after: string | null = null;
  for (;;) {
    const params = new URLSearchParams({ limit: String(PAGE), q: source });
    if (after) params.set("after", after);
    if (collection) params.set("collection", collection);
    const page: DocumentListJson = await apiJson<DocumentListJson>(`v1/documents?${params}`, { signal });
    found.push(...page.data.filter((d) => d.metadata?.source === source));
    if (!page.has_more || !page.next_cursor) break;
    after = page.next_cursor;
  }
  return sortChunks(found);
}

/** Chunks in file order (`metadata.chunk`), those without a number last, by id. */
export function sortChunks(docs: DocumentJson[]): DocumentJson[] {
  const n = (d: DocumentJson) => (typeof d.metadata?.chunk === "number" ? d.metadata.chunk : Infinity);
  return docs.slice().sort((a, b) => n(a) - n(b) || a.id.localeCompare(b.id));
}

/** The chunks just before and after `id` in `chunks` (file order), when there are. */
export function neighbours(
  chunks: DocumentJson[],
  id: string,
): { previous: DocumentJson | null; next: DocumentJson | null } {
  const at = chunks.findIndex((d) => d.id === id);
  if (at === -1) return { previous: null, next: null };
  return { previous: chunks[at - 1] ?? null, next: chunks[at + 1] ?? null };
}

/**
 * Deletes `ids` with `DELETE /v1/documents`, `DELETE_BATCH` at a time, calling `onProgress`
 * with how many are done; resolves with how many the store really removed.
 */
export async function deleteInBatches(
  ids: string[],
  collection: string | undefined,
  onProgress: (done: number) => void,
): Promise<number> {
  let removed = 0;
  for (let i = 0; i < ids.length; i += DELETE_BATCH) {
    const batch = ids.slice(i, i + DELETE_BATCH);
    const res = await apiJson<{ count: number }>("v1/documents", {
      method: "DELETE",
      json: { ids: batch, ...(collection ? { collection } : {}) },
    });
    removed += res.count;
    onProgress(Math.min(ids.length, i + batch.length));
  }
  return removed;
}
