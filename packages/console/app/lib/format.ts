/** "1,204". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A duration in ms as "850 ms", "3.2 s", "2 min 5 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A similarity score with three decimals, or "–" when the store gave none. */
export function formatScore(score: number | null | undefined): string {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(3) : "–";
}

/** The first `max` characters of `text` on one line, with "…" when cut. */
export function preview(text: string, max = 160): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * `id` in at most `max` characters, cut in the middle ("be4db53767…b159cfc-0"): an uploaded
 * chunk's id is a content hash then its chunk number, and the two ends are what tell chunks
 * apart — the start names the file, the end the chunk.
 */
export function shortId(id: string, max = 20): string {
  if (id.length <= max) return id;
  const tail = Math.floor((max - 1) / 2);
  return `${id.slice(0, max - 1 - tail)}…${id.slice(-tail)}`;
}

/** "1 document", "3 documents". */
export function documentCount(n: number): string {
  return `${formatInt(n)} document${n === 1 ? "" : "s"}`;
}
