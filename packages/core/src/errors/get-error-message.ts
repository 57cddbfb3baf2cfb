/** The message of an `Error`, or the value as a string for anything else that was thrown. */
export function getErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
