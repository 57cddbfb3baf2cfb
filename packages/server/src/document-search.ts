/** `GET /v1/documents?q=`: a text search over what a store holds, paged with the store's own cursor. */
import type { ListOptions, ListPage, StoredDocument } from "@deeprecall/core";

/** Documents read per `list` call while searching (the most a store's `list` returns at once). */
const SCAN_PAGE = 1000;

/** The metadata fields searched besides the content. */
const SEARCHED_METADATA = ["source", "title", "path"] as const;

/**
 * True when `needle` (already lower-cased) is a substring of the document's content or of its
 * `source`, `title` or `path` metadata (string values only), case-insensitively.
 */
export function matchesText(doc: StoredDocument, needle: string): boolean {
  if (doc.content.toLowerCase().includes(needle)) return true;
  for (const key of SEARCHED_METADATA) {
    const value = doc.metadata?.[key];
    if (typeof value === "string" && value.toLowerCase().includes(needle)) return true;
  }
  return false;
}

export interface SearchDocumentsOptions {
  /** The text searched for (case-insensitive substring; non-empty). */
  q: string;
  /** Matches per page (1-1000). */
  limit: number;
  /** The `nextCursor` of the previous page of this search. */
  after?: string | undefined;
  signal?: AbortSignal;
}

/**
 * One page of the documents that match `q` (see `matchesText`), in the store's own order, read
 * with `list` (a store's `list`, bound): store pages are scanned until `limit` matches are found
 * or the store ends. `nextCursor` is the store's own cursor, placed right after the last match
 * returned, so the next page resumes exactly there (as reliably as the store's own paging). It
 * is null once the scan reached the end of the store; a page may be non-null and the next one
 * empty when no match is left. Store errors (and an abort through `signal`) are thrown as they
 * come.
 */
export async function searchDocuments(
  list: (options: ListOptions) => Promise<ListPage>,
  options: SearchDocumentsOptions,
): Promise<ListPage> {
  const needle = options.q.toLowerCase();
  const { limit, signal } = options;
  const found: StoredDocument[] = [];
  let cursor = options.after;
  for (;;) {
    const from = cursor ? { cursor } : {};
    const page = await list({ limit: SCAN_PAGE, signal, ...from });
    const hits = page.documents.filter((d) => matchesText(d, needle));
    const need = limit - found.length;
    if (hits.length > need) {
      // More matches on this page than the page of results has room for: read the store page
      // again, only up to the last match that fits, so the store's cursor points right after it.
      const last = page.documents.indexOf(hits[need - 1]!);
      const short = await list({ limit: last + 1, signal, ...from });
      found.push(...short.documents.filter((d) => matchesText(d, needle)).slice(0, need));
      return { documents: found, nextCursor: short.nextCursor };
    }
    found.push(...hits);
    if (page.nextCursor === null || found.length === limit) {
      return { documents: found, nextCursor: page.nextCursor };
    }
    cursor = page.nextCursor;
  }
}
