/** The default marker: a line saying how many characters were dropped. */
function droppedLine(dropped: number): string {
  return `\n[output truncated: ${dropped} more characters]`;
}

/**
 * `text` cut to its first `max` characters followed by `marker(dropped)` (by default a line
 * saying how much was dropped; pass `() => "…"` for an ellipsis); unchanged when it fits.
 */
export function truncate(
  text: string,
  max: number,
  marker: (dropped: number) => string = droppedLine,
): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}${marker(text.length - max)}`;
}
