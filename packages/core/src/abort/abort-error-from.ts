import { AbortError } from "../errors/abort-error.ts";

/**
 * The error to throw for an aborted `signal`: its reason when that is already core's
 * `AbortError`, else a new `AbortError` ("timed out" for a `TimeoutError` reason) with the
 * reason as cause. With `message`, always a new `AbortError` with that message.
 */
export function abortErrorFrom(signal: AbortSignal, message?: string): AbortError {
  const reason: unknown = signal.reason;
  if (message !== undefined) return new AbortError(message, { cause: reason });
  if (AbortError.isInstance(reason)) return reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return new AbortError(timedOut ? "The operation timed out" : "The operation was aborted", {
    cause: reason,
  });
}
