/** The default marker: a line saying how many characters were dropped. */
function droppedLine(dropped: number): string {
  return `\n[output truncated: ${dropped} more characters]`;
}

/** A default marker ending text that an earlier cut (the sandbox's own) already shortened. */
const EARLIER_CUT = /\n?\[output truncated: (\d+) more characters\]$/;

/**
 * `text` cut to its first `max` characters followed by `marker(dropped)` (by default a line
 * saying how much was dropped; pass `() => "…"` for an ellipsis); unchanged when it fits.
 *
 * With the default marker, text that already ends with one (output the sandbox cut) is cut
 * before that marker, and the new marker counts both cuts: the reader learns how much was really
 * dropped, not only what this cut removed.
 */
export function truncate(
  text: string,
  max: number,
  marker: (dropped: number) => string = droppedLine,
): string {
  if (text.length <= max) return text;
  if (marker === droppedLine) {
    const earlier = EARLIER_CUT.exec(text);
    if (earlier) {
      const body = text.slice(0, earlier.index);
      const kept = Math.min(max, body.length);
      return `${body.slice(0, kept)}${droppedLine(body.length - kept + Number(earlier[1]))}`;
    }
  }
  return `${text.slice(0, max)}${marker(text.length - max)}`;
}
