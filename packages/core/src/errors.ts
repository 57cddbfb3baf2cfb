/**
 * The DeepRecall error hierarchy. Every error the library throws on purpose is a
 * `DeepRecallError`, so callers can tell our failures from bugs with one `instanceof`.
 */
export class DeepRecallError extends Error {
  /** Stable machine-readable code, e.g. "config_error". */
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? "deeprecall_error";
  }
}

/** The LLM provider failed (network, 5xx, auth, bad reply). `status` is the HTTP status when known. */
export class LLMProviderError extends DeepRecallError {
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; status?: number; retryable?: boolean }) {
    super(message, { cause: options?.cause, code: "llm_provider_error" });
    this.status = options?.status;
    this.retryable = options?.retryable ?? false;
  }
}

/** A vector store operation failed. `store` names the backend (and URL when there is one). */
export class VectorStoreError extends DeepRecallError {
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
}

/** A `QueryBudget` limit was reached. `limit` names it, e.g. "maxSearchCalls". */
export class BudgetExceededError extends DeepRecallError {
  readonly limit: string;
  constructor(limit: string, message?: string) {
    super(message ?? `Budget exceeded: ${limit}`, { code: "budget_exceeded" });
    this.limit = limit;
  }
}

/** The sandbox itself failed (not the model's code: that becomes REPL output). */
export class SandboxError extends DeepRecallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "sandbox_error" });
  }
}

/** An option or configuration value is invalid. `field` names it. */
export class ConfigError extends DeepRecallError {
  readonly field: string | undefined;
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, { cause: options?.cause, code: "config_error" });
    this.field = options?.field;
  }
}

/** A shared service the server depends on (e.g. Redis) is unreachable; retry later (HTTP 503). */
export class ServiceUnavailableError extends DeepRecallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "service_unavailable" });
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends DeepRecallError {
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "aborted" });
  }
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof AbortError ||
    (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
  );
}
