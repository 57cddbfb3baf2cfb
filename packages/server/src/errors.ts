import {
  BudgetExceededError,
  ConfigError,
  DeepRecallError,
  isAbortError,
  LLMProviderError,
  redactSecrets,
  SandboxError,
  VectorStoreError,
} from "@deeprecall/core";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** OpenAI's error body, plus optional extension fields (e.g. `written_ids`). */
export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    [extra: string]: unknown;
  };
}

/** An error that already knows its HTTP status and OpenAI-shaped body. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(
    status: ContentfulStatusCode,
    message: string,
    options: {
      type?: string;
      param?: string | null;
      code?: string | null;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = options.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  toBody(): ErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra },
    };
  }
}

/** The 405 for `method` on `path`, which answers `allow` (sent as the `Allow` header). */
export function methodNotAllowed(method: string, path: string, allow: readonly string[]): ApiError {
  return new ApiError(405, `Method ${method} is not allowed for ${path}; use ${allow.join(", ")}.`, {
    code: "method_not_allowed",
    headers: { Allow: allow.join(", ") },
  });
}

/**
 * Masks things that look like credentials in a message that is about to leave the process
 * (bearer tokens, provider keys, `key=value` secrets, passwords in URLs): core's one table.
 */
export const redact: (message: string) => string = redactSecrets;

/**
 * Removes where backends live from a message that is about to leave the process: URLs,
 * `host:port`, IP addresses and the host of a DNS failure. A client learns that the model
 * provider or the store failed, never its internal address.
 */
export function scrubHosts(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi, "[backend]")
    .replace(/\b(ENOTFOUND|EAI_AGAIN|getaddrinfo \w+)\s+[^\s,;)]+/g, "$1 [host]")
    .replace(/\[?\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\]?(?::\d{1,5})?/gi, "[host]")
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, "[host]")
    .replace(/\b(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}\b/gi, "[host]")
    .replace(/\blocalhost\b/gi, "[host]");
}

const MAX_MESSAGE = 500;
function clip(message: string): string {
  const clean = scrubHosts(redact(message));
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
}

/** Converts a `ConfigError` field path like "documents[2]" or "filters.$and" into an OpenAI `param`. */
function paramOf(error: ConfigError): string | null {
  return error.field ?? null;
}

/**
 * Maps anything thrown while serving a request to an `ApiError`. Only errors we raise on
 * purpose carry their message out; everything else becomes a generic 500.
 */
export function toApiError(error: unknown, context: { bodyLimitBytes?: number } = {}): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return payloadTooLarge(context.bodyLimitBytes);
    if (error.status === 400) {
      const malformed = /malformed json/i.test(error.message);
      return new ApiError(
        400,
        malformed
          ? "We could not parse the JSON body of your request."
          : clip(error.message || "Bad request"),
        { code: malformed ? "invalid_json" : null },
      );
    }
    if (error.status === 415) {
      // Hono's validators throw it for a body of the wrong media type (e.g. JSON sent to the upload).
      return new ApiError(415, `Unsupported media type: ${clip(error.message || "wrong content type")}.`, {
        code: "unsupported_media_type",
      });
    }
    if (error.status < 500) {
      return new ApiError(error.status as ContentfulStatusCode, clip(error.message || "Request failed"));
    }
    return new ApiError(500, "Internal server error", { code: "internal_error" });
  }
  if (ConfigError.isInstance(error)) {
    return new ApiError(400, clip(error.message), { param: paramOf(error), code: "invalid_value" });
  }
  if (LLMProviderError.isInstance(error)) {
    const notConfigured = error.status === 503 || /not configured|no (language )?model/i.test(error.message);
    return new ApiError(
      notConfigured ? 503 : 502,
      `The language model provider failed: ${clip(error.message)}`,
      { type: "server_error", code: notConfigured ? "model_not_configured" : "llm_provider_error" },
    );
  }
  if (VectorStoreError.isInstance(error)) {
    const store = error.store ? scrubHosts(redact(error.store)) : "vector store";
    const extra =
      error.writtenIds && error.writtenIds.length > 0 ? { written_ids: error.writtenIds } : undefined;
    const written = extra
      ? ` ${error.writtenIds!.length} document(s) were written before the failure (see written_ids).`
      : "";
    return new ApiError(
      error.retryable ? 503 : 502,
      `The vector store (${store}) failed: ${clip(error.message)}.${written}`.replace(/\.\./g, "."),
      { type: "server_error", code: "vector_store_error", extra },
    );
  }
  if (isAbortError(error)) {
    return new ApiError(503, "The request was aborted before it completed.", { code: "aborted" });
  }
  if (BudgetExceededError.isInstance(error)) {
    return new ApiError(400, clip(error.message), { code: "budget_exceeded" });
  }
  if (SandboxError.isInstance(error)) {
    return new ApiError(500, "The code sandbox failed while answering this request.", {
      code: "sandbox_error",
    });
  }
  if (DeepRecallError.isInstance(error) && error.code === "service_unavailable") {
    // A shared dependency (e.g. Redis behind a fail-closed rate limiter or cache) is down.
    return new ApiError(503, clip(error.message), {
      type: "server_error",
      code: "service_unavailable",
      headers: { "retry-after": "1" },
    });
  }
  if (DeepRecallError.isInstance(error)) {
    return new ApiError(500, "Internal server error", { code: error.code });
  }
  return new ApiError(500, "Internal server error", { code: "internal_error" });
}

export function payloadTooLarge(limit: number | undefined): ApiError {
  return new ApiError(
    413,
    limit === undefined ? "Request body too large." : `Request body too large: the limit is ${limit} bytes.`,
    { code: "request_too_large" },
  );
}
