import { AISDKError, APICallError } from "@ai-sdk/provider";

/** An AI SDK `APICallError` with a secret in its URL and a private prompt in its request body. */
export function apiError(
  statusCode: number | undefined,
  extra: Partial<ConstructorParameters<typeof APICallError>[0]> = {},
) {
  return new APICallError({
    message: statusCode ? `Provider said ${statusCode}` : "Cannot connect to API: connect ECONNREFUSED",
    url: "https://api.example.com/v1/chat/completions?key=AIzaSyD-super-secret-key-000000000",
    requestBodyValues: { messages: [{ role: "user", content: "PRIVATE PROMPT" }] },
    statusCode,
    ...extra,
  });
}

/**
 * Stand-in for the `ai` package's RetryError, built on the provider's AISDKError with the same
 * marker (the last test checks the real class carries that marker).
 */
const RETRY_MARKER: unique symbol = Symbol.for("vercel.ai.error.AI_RetryError") as never;
export class RetryError extends AISDKError {
  readonly [RETRY_MARKER] = true;
  readonly reason: string;
  readonly errors: unknown[];
  readonly lastError: unknown;
  constructor({ message, reason, errors }: { message: string; reason: string; errors: unknown[] }) {
    super({ name: "AI_RetryError", message });
    this.reason = reason;
    this.errors = errors;
    this.lastError = errors.at(-1);
  }
}

/** undici's "fetch failed" around a connection error with `code`. */
export function networkError(code: string): Error {
  return Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }),
  });
}
