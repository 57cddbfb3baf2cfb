import { hash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { RateLimitStore } from "./rate-limit.ts";
import { MemoryRateLimitStore } from "./rate-limit.ts";
import {
  bearerToken,
  checkTrustProxy,
  clientAddress,
  DEFAULT_EXEMPT_PATHS,
  isExemptPath,
  openAIError,
  requestHeader,
} from "./shared.ts";

/** Decides whether a key is valid; may be sync or async (e.g. a database lookup). */
export type ApiKeyValidator = (key: string) => boolean | Promise<boolean>;

export interface ApiKeyAuthOptions {
  /** Accepted keys. With neither `apiKeys` nor `validate`, auth is disabled (every request passes). */
  apiKeys?: readonly string[];
  /** Custom check, sync or async. A key passes when it is in `apiKeys` OR `validate` returns true. */
  validate?: ApiKeyValidator;
  /** Paths that skip auth. Default `["/health", "/docs", "/openapi.json"]`. */
  exemptPaths?: readonly string[];
  /**
   * Throttling of failed authentication per client address, so keys cannot be guessed at full
   * speed: `burst` failures are answered 401, then every request from that address (right key or
   * wrong) gets 429 with `Retry-After` until the bucket has refilled at `perMinute` failures a
   * minute. Pass a shared `store` (e.g. Redis) so replicas count together. Default
   * `{ burst: 10, perMinute: 30 }` in process memory; `false` turns it off.
   */
  throttle?: false | AuthThrottleOptions;
  /** Told about every failed attempt (never the key), e.g. to log it. */
  onFailure?: (failure: AuthFailure) => void;
}

export interface AuthThrottleOptions {
  burst?: number;
  perMinute?: number;
  store?: RateLimitStore;
  /**
   * The client address a failure counts against. Default: the socket's remote address, or with
   * `trustProxy` the address in `X-Forwarded-For` (see {@link clientAddress}).
   */
  keyFor?: (c: Context) => string;
  /**
   * How many reverse proxies in front of the server append to `X-Forwarded-For` (default 0:
   * the header is ignored). Behind one, set 1, or every client shares the proxy's address and
   * one client's failures lock out all of them.
   */
  trustProxy?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export interface AuthFailure {
  reason: "missing" | "invalid" | "throttled";
  /** The client address the failure was counted against. */
  client: string;
  method: string;
  path: string;
}

/** Context variables set by `apiKeyAuth` on an authenticated request. */
export type ApiKeyAuthVariables = {
  /** The accepted key. Never log it. */
  apiKey: string;
  /** A stable, non-secret id for the key (a SHA-256 prefix), e.g. for rate-limit buckets. */
  apiKeyId: string;
};

/** Non-secret id of a key: the first 32 hex digits of its SHA-256 (UTF-8). */
export async function apiKeyId(key: string): Promise<string> {
  return keyIdOf(digestOf(key));
}

/** A key's SHA-256 (of its UTF-8 bytes), 32 bytes. */
function digestOf(key: string): Buffer {
  return hash("sha256", key, "buffer");
}

function keyIdOf(digest: Buffer): string {
  return digest.toString("hex", 0, 16);
}

/**
 * The key of a request: `Authorization: Bearer <key>`, or the `api-key` header the Azure OpenAI
 * clients send.
 */
export function requestKey(c: Context): string | undefined {
  const bearer = bearerToken(requestHeader(c, "authorization"));
  if (bearer !== undefined) return bearer;
  const azure = requestHeader(c, "api-key")?.trim();
  return azure ? azure : undefined;
}

function throttled(retryAfterSeconds: number): Response {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  const body = openAIError(
    "Too many failed authentication attempts from this address; try again later.",
    "rate_limit_error",
    "too_many_failed_auth_attempts",
    { retry_after: retryAfter },
  );
  return new Response(JSON.stringify(body), {
    status: 429,
    headers: { "content-type": "application/json; charset=UTF-8", "retry-after": String(retryAfter) },
  });
}

function unauthorized(message: "Missing API key" | "Invalid API key"): Response {
  return new Response(JSON.stringify(openAIError(message, "invalid_request_error", "invalid_api_key")), {
    status: 401,
    headers: { "content-type": "application/json; charset=UTF-8", "www-authenticate": "Bearer" },
  });
}

/**
 * Bearer API key authentication for any Hono app (on Node.js, or a runtime with `node:crypto`).
 * Keys are compared in constant time (SHA-256 digests, `crypto.timingSafeEqual`), against every
 * configured key, without an early exit. Failures answer an OpenAI-shaped 401: "Missing API key"
 * when no Bearer token was sent, "Invalid API key" when it was rejected.
 */
export function apiKeyAuth(
  options: ApiKeyAuthOptions = {},
): MiddlewareHandler<{ Variables: ApiKeyAuthVariables }> {
  const keys = [...(options.apiKeys ?? [])];
  for (const key of keys) {
    if (typeof key !== "string" || key.length === 0) throw new TypeError("apiKeys must be non-empty strings");
  }
  const validate = options.validate;
  const exemptPaths = options.exemptPaths ?? DEFAULT_EXEMPT_PATHS;
  const enabled = keys.length > 0 || validate !== undefined;
  const throttle = options.throttle === false ? undefined : (options.throttle ?? {});
  const burst = throttle?.burst ?? 10;
  const perMinute = throttle?.perMinute ?? 30;
  if (throttle && (!(burst >= 1) || !(perMinute > 0))) {
    throw new RangeError("throttle.burst must be >= 1 and throttle.perMinute > 0");
  }
  const failures = throttle?.store ?? new MemoryRateLimitStore();
  const hops = checkTrustProxy(throttle?.trustProxy, "throttle.trustProxy");
  const clientOf = throttle?.keyFor ?? ((c: Context) => clientAddress(c, hops) ?? "unknown");
  const now = throttle?.now ?? Date.now;
  // Addresses that ran out of failures, and until when (ms). Kept here so a blocked address is
  // refused without spending anything; the shared store decides when an address is blocked.
  const blockedUntil = new Map<string, number>();
  const sweepBlocked = (t: number) => {
    if (blockedUntil.size < 1000) return;
    for (const [client, until] of blockedUntil) if (until <= t) blockedUntil.delete(client);
  };

  // The configured keys' digests are computed once, the candidate's once per request, with
  // node:crypto: synchronous, ~1 µs. (Web Crypto's digest, which Hono's timingSafeEqual uses,
  // goes through the libuv thread pool: ~15-20 µs and an event-loop wake-up per request.)
  const digests = keys.map(digestOf);

  /**
   * Whether `candidate` is one of the keys: equal-length SHA-256 digests compared in constant
   * time against every key, with no early exit, so neither the time nor the digest length says
   * how much of a key matched.
   */
  const inKeyList = (candidate: Buffer): boolean => {
    let found = 0;
    for (const digest of digests) found |= timingSafeEqual(candidate, digest) ? 1 : 0;
    return found === 1;
  };

  return createMiddleware<{ Variables: ApiKeyAuthVariables }>(async (c, next) => {
    if (!enabled || c.req.method === "OPTIONS" || isExemptPath(c.req.path, exemptPaths)) {
      await next();
      return;
    }
    const client = throttle ? clientOf(c) : "";
    const report = (reason: AuthFailure["reason"]) =>
      options.onFailure?.({ reason, client, method: c.req.method, path: c.req.path });
    if (throttle) {
      const t = now();
      const until = blockedUntil.get(client);
      if (until !== undefined) {
        if (until > t) {
          report("throttled");
          return throttled((until - t) / 1000);
        }
        blockedUntil.delete(client);
      }
    }
    /** Counts a failure; answers 429 once the address has none left, else the 401. */
    const fail = async (reason: "missing" | "invalid") => {
      if (throttle) {
        const t = now();
        const decision = await failures.take(`authfail:${client}`, t, burst, perMinute / 60);
        if (!decision.allowed) {
          sweepBlocked(t);
          blockedUntil.set(client, t + decision.retryAfterSeconds * 1000);
          report("throttled");
          return throttled(decision.retryAfterSeconds);
        }
      }
      report(reason);
      return unauthorized(reason === "missing" ? "Missing API key" : "Invalid API key");
    };
    const token = requestKey(c);
    if (token === undefined) return fail("missing");
    const digest = digestOf(token);
    let ok = inKeyList(digest);
    if (!ok && validate) ok = (await validate(token)) === true;
    if (!ok) return fail("invalid");
    c.set("apiKey", token);
    c.set("apiKeyId", keyIdOf(digest));
    await next();
  });
}
