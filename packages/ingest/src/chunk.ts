export interface ChunkOptions {
  /** Maximum characters per chunk. */
  chunkSize: number;
  /** Characters shared by consecutive chunks (must be < chunkSize). */
  chunkOverlap: number;
}

// Preferred cut points, best first: paragraph, line, sentence end, any whitespace.
const BREAKS: RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?。](?=\s)/g, /\s/g];

/** Last position (exclusive end) of a match of `re` in text[from, to), or -1. */
function lastBreak(text: string, from: number, to: number, re: RegExp): number {
  re.lastIndex = from;
  let found = -1;
  for (let m = re.exec(text); m !== null && m.index < to; m = re.exec(text)) {
    const end = m.index + m[0].length;
    if (end <= to) found = end;
    if (m[0].length === 0) re.lastIndex++;
  }
  return found;
}

/**
 * Splits text into chunks of at most `chunkSize` characters that overlap by about
 * `chunkOverlap` characters, cutting at paragraph, line, sentence or word boundaries when one
 * lies in the second half of the window. Chunks are trimmed; empty ones are dropped.
 *
 * @throws RangeError unless 0 <= chunkOverlap < chunkSize.
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  const { chunkSize, chunkOverlap } = options;
  if (!(chunkSize > 0) || chunkOverlap < 0 || chunkOverlap >= chunkSize) {
    throw new RangeError(`invalid chunking: size ${chunkSize}, overlap ${chunkOverlap}`);
  }
  const normalized = text.replace(/\r\n?/g, "\n");
  const chunks: string[] = [];
  let start = 0;
  const length = normalized.length;
  while (start < length) {
    let end = Math.min(start + chunkSize, length);
    if (end < length) {
      const minEnd = start + Math.floor(chunkSize / 2);
      for (const re of BREAKS) {
        const cut = lastBreak(normalized, minEnd, end, re);
        if (cut > minEnd) {
          end = cut;
          break;
        }
      }
    }
    const piece = normalized.slice(start, end).trim();
    if (piece.length > 0) chunks.push(piece);
    if (end >= length) break;
    // Step back by the overlap, then forward to the start of a word so chunks don't open mid-word.
    let next = Math.max(end - chunkOverlap, start + 1);
    if (chunkOverlap > 0 && next > 0 && !/\s/.test(normalized[next - 1] ?? "")) {
      const limit = Math.min(end, next + Math.floor(chunkOverlap / 2));
      for (let i = next; i < limit; i++) {
        if (/\s/.test(normalized[i] ?? "")) {
          next = i + 1;
          break;
        }
      }
    }
    start = next;
  }
  return chunks;
}
