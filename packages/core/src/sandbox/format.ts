import { truncate } from "../parse.ts";
import type { BlockResult } from "./types.ts";

/** Longest error text shown for one block: a thrown error's message is model-controlled. */
const MAX_ERROR_CHARS = 2_000;

/**
 * Renders a block result as the REPL text the model reads, in at most about `maxChars`
 * characters. The error always survives the cut: a limit (timeout, memory) comes first, before
 * whatever was printed, so an output flood cannot hide that the block was stopped; any other
 * error follows the output, with room kept for it. An empty block says so, so the model is never
 * left with nothing.
 */
export function formatBlockResult(result: BlockResult, maxChars = Number.POSITIVE_INFINITY): string {
  // An error longer than half the room is cut too, so a block's text stays within `maxChars`.
  const errorRoom = Math.max(100, Math.min(MAX_ERROR_CHARS, Math.floor(maxChars / 2)));
  const error = result.error === undefined ? "" : `Error: ${truncate(result.error, errorRoom)}`;
  const room = Math.max(0, maxChars - error.length - 1);
  const output = truncate(result.output.trimEnd(), room);
  const limitFirst = result.limit === "timeout" || result.limit === "memory";
  const parts = (limitFirst ? [error, output] : [output, error]).filter((part) => part !== "");
  if (parts.length === 0) parts.push(result.final !== undefined ? "(FINAL called)" : "(no output)");
  return parts.join("\n");
}
