import { RATE_LIMIT_HEADERS_SET, type RateLimitVariables, requestHeader } from "@deeprecall/middleware";
import type { Context, MiddlewareHandler } from "hono";

/**
 * The headers `secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false })`
 * from `hono/secure-headers` sets on every response, precomputed (lower-case names, as Hono's
 * `Headers` emit them). headers.test.ts checks that this list stays exactly what Hono's
 * middleware emits.
 */
export const SECURE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["origin-agent-cluster", "?1"],
  ["referrer-policy", "no-referrer"],
  ["strict-transport-security", "max-age=15552000; includeSubDomains"],
  ["x-content-type-options", "nosniff"],
  ["x-dns-prefetch-control", "off"],
  ["x-download-options", "noopen"],
  ["x-frame-options", "SAMEORIGIN"],
  ["x-permitted-cross-domain-policies", "none"],
  ["x-xss-protection", "0"],
];
const SECURE_RECORD: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(SECURE_HEADERS));

const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID_MAX = 255;
const REQUEST_ID_INVALID = /[^\w\-=]/;

/**
 * Marks a response that already carries every header `responseHeaders` adds (a property on the
 * response, not a WeakSet: adding to a WeakSet costs more than building the response).
 */
const COMPLETE: unique symbol = Symbol("deeprecall.completeHeaders");
type Marked = Response & { [COMPLETE]?: true; [RATE_LIMIT_HEADERS_SET]?: true };

/**
 * Hono's `requestId()` and `secureHeaders()` in one middleware, without their per-request cost.
 *
 * Same behaviour: the incoming `X-Request-Id` is kept when it is at most 255 characters of
 * `[A-Za-z0-9_=-]`, else a random UUID is used; it is stored as `c.get("requestId")` and sent
 * back as `x-request-id`; the secure headers are set on every response (replacing any a handler
 * set) and `X-Powered-By` is removed.
 *
 * What it saves: Hono's `requestId()` sets its header on the context before the handler runs,
 * which gives every response a `Headers` object, and `secureHeaders()` then sets nine headers on
 * it one by one; `@hono/node-server` converts those `Headers` back into a plain object to write
 * them. Here the headers are set after the handler, and a handler on a hot path can answer with
 * {@link jsonResponse}, which carries the whole set as one plain object (no `Headers` at all).
 */
export function responseHeaders(): MiddlewareHandler {
  return async function responseHeaders(c, next) {
    let id = requestHeader(c, REQUEST_ID_HEADER);
    if (!id || id.length > REQUEST_ID_MAX || REQUEST_ID_INVALID.test(id)) id = crypto.randomUUID();
    c.set("requestId", id);
    await next();
    const res = c.res;
    if ((res as Marked)[COMPLETE]) return;
    const headers = res.headers;
    headers.set(REQUEST_ID_HEADER, id);
    for (const [name, value] of SECURE_HEADERS) headers.set(name, value);
    headers.delete("X-Powered-By");
  };
}

/**
 * A JSON response that already carries the request id, the secure headers and the rate-limit
 * headers (when `rateLimiter` runs: `c.get("rateLimitHeaders")`) as one plain object, for
 * `responseHeaders()` and the limiter to pass through untouched (`@hono/node-server` then writes
 * the object as it is, with no `Headers` built). Only for handlers behind `responseHeaders()`: a
 * middleware that sets headers through `c.header()` before the handler would lose them (none in
 * this app does; CORS sets its own on `c.res`, which Hono merges into the handler's response).
 */
export function jsonResponse(c: Context, body: string, status = 200): Response {
  const rateLimit = c.get("rateLimitHeaders") as RateLimitVariables["rateLimitHeaders"] | undefined;
  const res = new Response(body, {
    status,
    headers: {
      "content-type": "application/json",
      [REQUEST_ID_HEADER]: c.get("requestId") as string,
      ...SECURE_RECORD,
      ...rateLimit,
    },
  });
  (res as Marked)[COMPLETE] = true;
  if (rateLimit) (res as Marked)[RATE_LIMIT_HEADERS_SET] = true;
  return res;
}
