import { DeepRecallError } from "@deeprecall/core";

/**
 * Redis could not be reached (refused, offline while reconnecting, timed out). Raised only when
 * the component runs fail-closed; `code` is `"service_unavailable"`, which `@deeprecall/server`
 * answers with an OpenAI-shaped 503. The message never contains the Redis URL or credentials.
 */
export class RedisUnavailableError extends DeepRecallError {
  readonly retryable = true;
  constructor(message = "Redis is unavailable", options?: { cause?: unknown }) {
    super(message, { cause: options?.cause, code: "service_unavailable" });
  }
}
