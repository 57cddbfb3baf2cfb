import { isIPv6 } from "node:net";
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
 * `host:port`, IP addresses (v4 and v6, checked with `net.isIP`, so a time like 12:30:45 is left
 * alone) and the host of a DNS failure. A client learns that the model provider or the store
 * failed, never its internal address. See {@link scrubHostNames} for text a backend wrote.
 */
export function scrubHosts(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi, "[backend]")
    .replace(/\b(ENOTFOUND|EAI_AGAIN|getaddrinfo \w+)\s+[^\s,;)]+/g, "$1 [host]")
    .replace(IPV6_CANDIDATE, (match) => (isIPv6Address(match) ? "[host]" : match))
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, "[host]")
    .replace(/\b(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}\b/gi, "[host]")
    .replace(/\blocalhost\b/gi, "[host]");
}

/**
 * Tokens of hex digits, dots and colons with at least one colon (with an optional zone, brackets
 * and port), not inside a longer word: what may be an IPv6 address ("Foo::bar" is not one).
 */
const IPV6_CANDIDATE = /(?<![\w:.])\[?[0-9a-f:.]*:[0-9a-f:.]*(?:%[\w.-]+)?\]?(?::\d{1,5})?(?![\w:])/gi;

/**
 * Whether an IPv6 candidate is an address: as it is, or without brackets and port
 * (`[::1]:8080`), a zone (`fe80::1%eth0`) or an unbracketed port as Node writes it
 * (`connect ECONNREFUSED ::1:11434`).
 */
function isIPv6Address(candidate: string): boolean {
  const bracketed = /^\[([^\]]+)\]/.exec(candidate);
  const address = (bracketed ? bracketed[1]! : candidate).replace(/%.*$/, "");
  return isIPv6(address) || (!bracketed && isIPv6(address.replace(/:\d{1,5}$/, "")));
}

/**
 * {@link scrubHosts}, and also bare host names (`gpu-box.corp.example.com`,
 * `llm.internal`): any dotted name whose last label is 2-63 letters. For text a backend wrote
 * (a provider's or store's error message), where a name is far more likely a host than
 * anything else; a false match only hides a word such as a file name.
 */
export function scrubHostNames(message: string): string {
  return scrubHosts(message).replace(
    /(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?(?![\w-])/gi,
    "[host]",
  );
}

const MAX_MESSAGE = 500;
function clip(message: string): string {
  const clean = scrubHosts(redact(message));
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
}

/** {@link clip} for text a backend wrote: host names are removed too. */
function clipBackend(message: string): string {
  return clip(scrubHostNames(message));
}

/**
 * Our own "no model configured" stand-in (the CLI's without an API key), as opposed to a
 * provider's answer (those messages start "LLM provider error", see core's toLLMProviderError).
 */
function isNotConfigured(error: LLMProviderError): boolean {
  return (
    !/^LLM provider error/.test(error.message) &&
    /not configured|no (language )?model configured/i.test(error.message)
  );
}

/**
 * 503 `model_not_configured`: no language model is set up. No retry can help, so no
 * `Retry-After`, and `x-should-retry: false`, the header OpenAI's SDKs read before retrying a 5xx
 * (they retry every 5xx twice otherwise). `message` says what to set, e.g. the CLI's "No language
 * model configured: set OPENAI_API_KEY …".
 */
export function modelNotConfigured(message: string): ApiError {
  return new ApiError(503, message, {
    type: "server_error",
    code: "model_not_configured",
    headers: { "x-should-retry": "false" },
  });
}

/**
 * A model provider's failure: 503 `model_not_configured` when no model is set up; 429 when the
 * provider rate-limited us (`Retry-After` as it asked, else 1 s), so clients back off; 503 with
 * `Retry-After` when the provider is unavailable for now (its own 503 or 529 "overloaded", or
 * unreachable); 502 for everything else it got wrong (a 500, a refused request, a bad reply,
 * JSON that never matched the schema), with `x-should-retry: false`.
 */
function providerError(error: LLMProviderError): ApiError {
  const message = `The language model provider failed: ${clipBackend(error.message)}`;
  if (isNotConfigured(error))
    return modelNotConfigured(`The language model provider failed: ${clip(error.message)}`);
  const retryAfter = String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
  if (error.status === 429) {
    return new ApiError(429, message, {
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      headers: { "retry-after": retryAfter },
    });
  }
  const unavailable =
    error.status === 503 || error.status === 529 || (error.status === undefined && error.retryable);
  if (unavailable) {
    return new ApiError(503, message, {
      type: "server_error",
      code: "llm_provider_error",
      headers: { "retry-after": retryAfter },
    });
  }
  // The engine has already retried what was worth retrying; a client's own retries (the openai
  // SDKs retry every 5xx twice) would only run the whole query again to the same failure.
  // `x-should-retry` is the header OpenAI's SDKs read to decide.
  return new ApiError(502, message, {
    type: "server_error",
    code: "llm_provider_error",
    headers: { "x-should-retry": "false" },
  });
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
  if (LLMProviderError.isInstance(error)) return providerError(error);
  if (VectorStoreError.isInstance(error)) {
    const store = error.store ? scrubHostNames(redact(error.store)) : "vector store";
    const extra =
      error.writtenIds && error.writtenIds.length > 0 ? { written_ids: error.writtenIds } : undefined;
    const written = extra
      ? ` ${error.writtenIds!.length} document(s) were written before the failure (see written_ids).`
      : "";
    return new ApiError(
      error.retryable ? 503 : 502,
      `The vector store (${store}) failed: ${clipBackend(error.message)}.${written}`.replace(/\.\./g, "."),
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
