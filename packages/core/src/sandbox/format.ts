import type { BlockResult } from "./types.ts";

/**
 * Renders a block result as the REPL text the model reads: the printed output, then the error
 * (if any) on its own line. An empty block says so, so the model is never left with nothing.
 */
export function formatBlockResult(result: BlockResult): string {
  const parts: string[] = [];
  if (result.output !== "") parts.push(result.output);
  if (result.error !== undefined) parts.push(`Error: ${result.error}`);
  if (parts.length === 0) parts.push(result.final !== undefined ? "(FINAL called)" : "(no output)");
  return parts.join("\n");
}
