/**
 * Where a panel that follows a live trace scrolls to: its bottom, where the newest output is —
 * but never so far that the newest step's top (its heading) slides under what covers the top of
 * the panel (the sticky Budget card, `covered` pixels tall with its gap). A step taller than the
 * room below the card is shown from its heading.
 */
export function followTarget({
  scrollHeight,
  clientHeight,
  newestTop,
  covered,
}: {
  scrollHeight: number;
  clientHeight: number;
  /** The newest step's top in the panel's content (`scrollTop` coordinates), or null if none. */
  newestTop: number | null;
  covered: number;
}): number {
  const bottom = Math.max(0, scrollHeight - clientHeight);
  if (newestTop === null) return bottom;
  return Math.max(0, Math.min(bottom, newestTop - covered));
}

/** How far from the position it last scrolled to a reader must scroll up before following stops. */
export const FOLLOW_SLACK_PX = 40;

/**
 * Whether the panel keeps following after a scroll: it does while the reader stays at (or below)
 * where it last put them, or comes back to the bottom; scrolling up to read stops it.
 */
export function stillFollowing(
  {
    scrollTop,
    scrollHeight,
    clientHeight,
  }: { scrollTop: number; scrollHeight: number; clientHeight: number },
  lastTarget: number,
): boolean {
  return (
    scrollTop >= lastTarget - FOLLOW_SLACK_PX || scrollHeight - scrollTop - clientHeight < FOLLOW_SLACK_PX
  );
}
