/**
 * "chunk 2 of 5" for a document that is one chunk of a larger file (upload and ingest metadata
 * `chunk`, 0-based, and `chunks`), or null when it is a file of its own or the metadata says
 * nothing.
 */
export function chunkLabel(metadata: Record<string, unknown> | undefined): string | null {
  const chunk = metadata?.chunk;
  const chunks = metadata?.chunks;
  if (typeof chunk !== "number" || typeof chunks !== "number" || chunks <= 1) return null;
  return `chunk ${chunk + 1} of ${chunks}`;
}
