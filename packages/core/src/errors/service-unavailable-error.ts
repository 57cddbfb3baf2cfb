import { DeepRecallError } from "./deeprecall-error.ts";

const name = "ServiceUnavailableError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** A shared service the server depends on (e.g. Redis) is unreachable; retry later (HTTP 503). */
export class ServiceUnavailableError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "service_unavailable" });
  }

  static override isInstance(value: unknown): value is ServiceUnavailableError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
