/** Error codes of network failures worth another attempt (Node, undici, Bun). */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTCONN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  // Bun's spellings.
  "ConnectionRefused",
  "ConnectionClosed",
  "FailedToOpenSocket",
]);

const TRANSIENT_MESSAGE =
  /fetch failed|failed to fetch|socket hang up|network (error|connection)|other side closed|^terminated$/i;

const MAX_DEPTH = 5;

/**
 * Whether `error` (or its `cause` chain, or an `AggregateError`'s `errors`) is a transient
 * network failure: a known error code or a message like undici's "fetch failed".
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > MAX_DEPTH) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  if (typeof message === "string" && TRANSIENT_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}

/** The transient network error code on `error` or in its `cause` chain, e.g. "ECONNREFUSED". */
export function networkCode(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== "object" || depth > MAX_DEPTH) return undefined;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return code;
  return networkCode(cause, depth + 1);
}
