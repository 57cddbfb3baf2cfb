import { DeepRecallError } from "./deeprecall-error.ts";

const name = "AbortError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** The caller's AbortSignal fired. */
export class AbortError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;

  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "aborted" });
  }

  static override isInstance(value: unknown): value is AbortError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
