import { AbortError } from "./abort-error.ts";

/**
 * Whether `error` means "stopped by an abort signal or a timeout": core's {@link AbortError}
 * (from any copy of the package), or any error named "AbortError" or "TimeoutError" (DOM and
 * Node aborts, `AbortSignal.timeout`).
 */
export function isAbortError(error: unknown): boolean {
  return (
    AbortError.isInstance(error) ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
  );
}
