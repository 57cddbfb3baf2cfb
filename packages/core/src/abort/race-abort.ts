import type { AbortError } from "../errors/abort-error.ts";
import { abortErrorFrom } from "./abort-error-from.ts";

/**
 * Settles like `promise`, but rejects with core's `AbortError` as soon as `signal` fires (at
 * once when it already has), even when the work itself ignores the signal. `message` names
 * what was aborted, e.g. "ChromaStore search was aborted"; by default see {@link abortErrorFrom}.
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  message?: string,
): Promise<T> {
  if (!signal) return promise;
  const abortError = (): AbortError => abortErrorFrom(signal, message);
  if (signal.aborted) {
    promise.catch(() => {}); // the work's own failure no longer matters
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
