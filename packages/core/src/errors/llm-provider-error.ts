import { DeepRecallError } from "./deeprecall-error.ts";

const name = "LLMProviderError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** The LLM provider failed (network, 5xx, auth, bad reply). `status` is the HTTP status when known. */
export class LLMProviderError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /**
   * How long the provider asked callers to wait before trying again (its `retry-after-ms` or
   * `retry-after` header), in ms, when it said; e.g. on a 429 or 503.
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options?: { cause?: unknown; status?: number; retryable?: boolean; retryAfterMs?: number },
  ) {
    super(message, { cause: options?.cause, code: "llm_provider_error" });
    this.status = options?.status;
    this.retryable = options?.retryable ?? false;
    this.retryAfterMs = options?.retryAfterMs;
  }

  static override isInstance(value: unknown): value is LLMProviderError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
