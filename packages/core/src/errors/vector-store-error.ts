import { DeepRecallError } from "./deeprecall-error.ts";

const name = "VectorStoreError";
const marker = `deeprecall.error.${name}`;
const symbol = Symbol.for(marker);

/** A vector store operation failed. `store` names the backend (and URL when there is one). */
export class VectorStoreError extends DeepRecallError {
  /** The marker {@link isInstance} looks for (set on every instance, also across package copies). */
  readonly [symbol] = true;
  readonly store: string | undefined;
  readonly retryable: boolean;
  /** Ids that were durably written before the failure, when the store knows them. */
  readonly writtenIds: string[] | undefined;

  constructor(
    message: string,
    options?: { cause?: unknown; store?: string; retryable?: boolean; writtenIds?: string[] },
  ) {
    super(message, { cause: options?.cause, code: "vector_store_error" });
    this.store = options?.store;
    this.retryable = options?.retryable ?? false;
    this.writtenIds = options?.writtenIds;
  }

  static override isInstance(value: unknown): value is VectorStoreError {
    return DeepRecallError.hasMarker(value, marker);
  }
}
