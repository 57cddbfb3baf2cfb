import type { Context } from "hono";

/** The paths that skip auth and rate limiting unless told otherwise. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = ["/health", "/docs", "/openapi.json"];

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    [extra: string]: unknown;
  };
}

export function openAIError(
  message: string,
  type: string,
  code: string | null,
  extra?: Record<string, unknown>,
): OpenAIErrorBody {
  return { error: { message, type, param: null, code, ...extra } };
}

/**
 * True when `path` is one of `exemptPaths` or below one of them ("/docs" also covers
 * "/docs/"). A trailing slash on the request path is ignored.
 */
export function isExemptPath(path: string, exemptPaths: readonly string[]): boolean {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  for (const exempt of exemptPaths) {
    if (normalized === exempt) return true;
    // Below it: its prefix, then a "/" (unless the exempt path ends with one). Runs twice per
    // request (auth and rate limit), so no prefix strings are built.
    if (
      normalized.startsWith(exempt) &&
      (exempt.endsWith("/") ? normalized.length > exempt.length : normalized[exempt.length] === "/")
    ) {
      return true;
    }
  }
  return false;
}

/**
 * A request header by its lower-case `name`. Under the Node.js adapter (`@hono/node-server`) it
 * is read from Node's own parsed headers: `c.req.header()` there makes the adapter build a fetch
 * `Headers` from the raw headers first (several µs per request). Node keeps the first of
 * duplicated singleton headers (e.g. `Authorization`, `Content-Type`) and joins other repeated
 * headers with ", " (Node's documented `message.headers` rules). Elsewhere `c.req.header(name)`.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (
    c.env as { incoming?: { headers?: Record<string, string | string[] | undefined> } } | undefined
  )?.incoming;
  const headers = incoming?.headers;
  if (headers === undefined || typeof headers !== "object") return c.req.header(name);
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * The client's address as the Node.js adapter (`@hono/node-server`) sees it, read the same way
 * its `getConnInfo` helper does, without depending on that adapter. Undefined elsewhere.
 */
export function nodeRemoteAddress(c: Context): string | undefined {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        server?: { incoming?: { socket?: { remoteAddress?: string } } };
      }
    | undefined;
  const bindings = env?.server ?? env;
  return bindings?.incoming?.socket?.remoteAddress ?? undefined;
}

/**
 * The client's address behind `trustedProxies` reverse proxies that each append the address
 * they saw to `X-Forwarded-For` (nginx `proxy_add_x_forwarded_for`, most load balancers): the
 * entry the outermost trusted proxy added, i.e. the `trustedProxies`-th from the right. Entries
 * further left were written by the client and are not trusted. With 0 (the default), or without
 * the header, the socket's address ({@link nodeRemoteAddress}). Express's `trust proxy` with a
 * hop count works the same way.
 */
export function clientAddress(c: Context, trustedProxies = 0): string | undefined {
  const socket = nodeRemoteAddress(c);
  if (trustedProxies <= 0) return socket;
  const header = requestHeader(c, "x-forwarded-for");
  if (!header) return socket;
  const chain = header
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (chain.length === 0) return socket;
  // Fewer entries than proxies: the leftmost is as far as the chain goes.
  return chain[Math.max(0, chain.length - trustedProxies)]!.slice(0, 100);
}

/** Checks a `trustProxy` option: a whole number of proxies, 0-10. */
export function checkTrustProxy(value: unknown, field = "trustProxy"): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 10) {
    throw new RangeError(`${field} must be a whole number of proxies from 0 to 10, got ${String(value)}`);
  }
  return value;
}

/** Extracts the token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
