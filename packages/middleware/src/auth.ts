import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "hono/utils/buffer";
import { sha256 } from "hono/utils/crypto";
import { bearerToken, DEFAULT_EXEMPT_PATHS, isExemptPath, openAIError } from "./shared.ts";

/** Decides whether a key is valid; may be sync or async (e.g. a database lookup). */
export type ApiKeyValidator = (key: string) => boolean | Promise<boolean>;

export interface ApiKeyAuthOptions {
  /** Accepted keys. With neither `apiKeys` nor `validate`, auth is disabled (every request passes). */
  apiKeys?: readonly string[];
  /** Custom check, sync or async. A key passes when it is in `apiKeys` OR `validate` returns true. */
  validate?: ApiKeyValidator;
  /** Paths that skip auth. Default `["/health", "/docs", "/openapi.json"]`. */
  exemptPaths?: readonly string[];
}

/** Context variables set by `apiKeyAuth` on an authenticated request. */
export type ApiKeyAuthVariables = {
  /** The accepted key. Never log it. */
  apiKey: string;
  /** A stable, non-secret id for the key (a SHA-256 prefix), e.g. for rate-limit buckets. */
  apiKeyId: string;
};

/** Non-secret id of a key: the first 32 hex digits of its SHA-256. */
export async function apiKeyId(key: string): Promise<string> {
  const digest = await sha256(key);
  return (digest ?? "").slice(0, 32);
}

function unauthorized(message: "Missing API key" | "Invalid API key"): Response {
  return new Response(JSON.stringify(openAIError(message, "invalid_request_error", "invalid_api_key")), {
    status: 401,
    headers: { "content-type": "application/json; charset=UTF-8", "www-authenticate": "Bearer" },
  });
}

/**
 * Bearer API key authentication for any Hono app. Keys are compared in constant time
 * (Hono's `timingSafeEqual`, which compares SHA-256 digests), against every configured key,
 * without an early exit. Failures answer an OpenAI-shaped 401: "Missing API key" when no
 * Bearer token was sent, "Invalid API key" when it was rejected.
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

  // The configured keys' digests are computed once; the candidate's once per request.
  const digests = new Map<string, Promise<string | null>>();
  for (const key of keys) digests.set(key, sha256(key));

  const inKeyList = async (candidate: string): Promise<boolean> => {
    if (keys.length === 0) return false;
    let candidateDigest: Promise<string | null> | undefined;
    const hash = (value: string) => {
      const known = digests.get(value);
      if (known) return known;
      candidateDigest ??= sha256(value);
      return candidateDigest;
    };
    const results = await Promise.all(keys.map((key) => timingSafeEqual(candidate, key, hash)));
    return results.includes(true);
  };

  return createMiddleware<{ Variables: ApiKeyAuthVariables }>(async (c, next) => {
    if (!enabled || c.req.method === "OPTIONS" || isExemptPath(c.req.path, exemptPaths)) {
      await next();
      return;
    }
    const token = bearerToken(c.req.header("authorization"));
    if (token === undefined) return unauthorized("Missing API key");
    let ok = await inKeyList(token);
    if (!ok && validate) ok = (await validate(token)) === true;
    if (!ok) return unauthorized("Invalid API key");
    c.set("apiKey", token);
    // A configured key's digest was computed at start-up: reuse it rather than hashing again
    // (Web Crypto SHA-256 costs ~15-20 µs of main-thread time per request).
    const known = digests.get(token);
    c.set("apiKeyId", known ? ((await known) ?? "").slice(0, 32) : await apiKeyId(token));
    await next();
  });
}
