import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { ApiKeyAuthVariables } from "./auth.ts";
import { checkTrustProxy, clientAddress, DEFAULT_EXEMPT_PATHS, isExemptPath, openAIError } from "./shared.ts";

/**
 * The rate-limit headers of the current request, as `rateLimiter` puts them in the context
 * (`c.get("rateLimitHeaders")`) before the handler runs: a handler that builds its response
 * with a plain header object can include them, and mark the response with
 * {@link RATE_LIMIT_HEADERS_SET} so the limiter does not set them again.
 */
export interface RateLimitVariables {
  rateLimitHeaders: Readonly<Record<"x-ratelimit-limit-requests" | "x-ratelimit-remaining-requests", string>>;
}

/**
 * A property a handler sets (to `true`) on a response that already carries the request's
 * `rateLimitHeaders`. Without it the limiter sets them on `c.res.headers` after the handler,
 * which, on `@hono/node-server`, turns the response's plain header object into a `Headers` and
 * back (a measurable share of a fast endpoint's time).
 */
export const RATE_LIMIT_HEADERS_SET: unique symbol = Symbol.for("deeprecall.rateLimitHeadersSet");

/** The outcome of one `take`. */
export interface RateLimitDecision {
  /** True when a token was taken and the request may proceed. */
  allowed: boolean;
  /** Whole tokens left in the bucket after this call. */
  remaining: number;
  /** Seconds until the next token is available (0 when `allowed`). */
  retryAfterSeconds: number;
}

/**
 * Where token buckets live. `take` must be atomic per key: refill the bucket for the time
 * elapsed since its last update (`refillPerSecond`, never above `capacity`; a new bucket starts
 * full), then take one token if at least one is there. All arguments are plain numbers so one
 * Redis Lua script (KEYS[1] = key, ARGV = now, capacity, refillPerSecond) can implement it.
 */
export interface RateLimitStore {
  take(key: string, now: number, capacity: number, refillPerSecond: number): Promise<RateLimitDecision>;
  close?(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  capacity: number;
  refillPerSecond: number;
}

/**
 * In-process token buckets. `take` runs synchronously (no await between read and write), so it
 * is atomic on Node's single thread. Buckets that have refilled completely carry no information
 * and are swept lazily, which bounds memory by the set of recently active clients.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, Bucket>();
  readonly #sweepEvery: number;
  #sinceSweep = 0;

  constructor(options: { sweepEvery?: number } = {}) {
    this.#sweepEvery = options.sweepEvery ?? 1000;
  }

  /** Number of buckets held (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, now: number, capacity: number, refillPerSecond: number): Promise<RateLimitDecision> {
    if (++this.#sinceSweep >= this.#sweepEvery) this.#sweep(now);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, updatedAt: now, capacity, refillPerSecond };
      this.#buckets.set(key, bucket);
    } else {
      const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * refillPerSecond);
      bucket.updatedAt = Math.max(now, bucket.updatedAt);
      bucket.capacity = capacity;
      bucket.refillPerSecond = refillPerSecond;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Promise.resolve({ allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 });
    }
    return Promise.resolve({
      allowed: false,
      remaining: 0,
      retryAfterSeconds: (1 - bucket.tokens) / refillPerSecond,
    });
  }

  #sweep(now: number): void {
    this.#sinceSweep = 0;
    for (const [key, bucket] of this.#buckets) {
      const refilled = bucket.tokens + (Math.max(0, now - bucket.updatedAt) / 1000) * bucket.refillPerSecond;
      if (refilled >= bucket.capacity) this.#buckets.delete(key);
    }
  }

  clear(): void {
    this.#buckets.clear();
  }

  close(): Promise<void> {
    this.clear();
    return Promise.resolve();
  }
}

export interface RateLimiterOptions {
  /** Sustained rate per client; also the burst size (bucket capacity). Must be > 0. */
  requestsPerMinute: number;
  /** Where buckets live. Default: a new `MemoryRateLimitStore` (one per process). */
  store?: RateLimitStore;
  /** Paths that are never limited. Default `["/health", "/docs", "/openapi.json"]`. */
  exemptPaths?: readonly string[];
  /**
   * Bucket key for a request. Default: the API key accepted by `apiKeyAuth` (as a non-secret
   * hash, "key:<id>"), else the client IP ("ip:<address>") from the Node.js adapter, or with
   * `trustProxy` from `X-Forwarded-For` (see {@link clientAddress}).
   */
  keyFor?: (c: Context) => string | Promise<string>;
  /**
   * How many reverse proxies in front of the server append to `X-Forwarded-For` (default 0:
   * the header is ignored, every client behind a proxy shares one bucket).
   */
  trustProxy?: number;
  /** Clock in milliseconds (tests). Default `Date.now`. */
  now?: () => number;
}

function defaultKeyFor(trustedProxies: number): (c: Context) => string {
  return (c) => {
    // c.get, not c.var: Hono builds c.var as a fresh object of every variable on each read.
    const id = c.get("apiKeyId") as ApiKeyAuthVariables["apiKeyId"] | undefined;
    if (id) return `key:${id}`;
    // Only keys that apiKeyAuth accepted count: an unverified Bearer token would let a client
    // pick a fresh bucket per request.
    return `ip:${clientAddress(c, trustedProxies) ?? "unknown"}`;
  };
}

/**
 * Token-bucket rate limiting for any Hono app: burst = `requestsPerMinute`, refill =
 * `requestsPerMinute / 60` tokens per second. Register it after `apiKeyAuth` so buckets are
 * per accepted key. Over the limit it answers 429 with an OpenAI-shaped body including
 * `retry_after` (seconds), a `Retry-After` header (whole seconds, rounded up), and
 * `x-ratelimit-limit-requests` / `x-ratelimit-remaining-requests` on every limited response
 * (also offered to the handler as `c.get("rateLimitHeaders")`: see {@link RATE_LIMIT_HEADERS_SET}).
 */
export function rateLimiter(options: RateLimiterOptions): MiddlewareHandler {
  const rpm = options.requestsPerMinute;
  if (typeof rpm !== "number" || !Number.isFinite(rpm) || rpm <= 0) {
    throw new RangeError(`requestsPerMinute must be a positive number, got ${String(rpm)}`);
  }
  const capacity = rpm;
  const refillPerSecond = rpm / 60;
  const store = options.store ?? new MemoryRateLimitStore();
  const exemptPaths = options.exemptPaths ?? DEFAULT_EXEMPT_PATHS;
  const keyFor = options.keyFor ?? defaultKeyFor(checkTrustProxy(options.trustProxy));
  const now = options.now ?? Date.now;
  const limitHeader = String(Math.floor(capacity));

  return createMiddleware<{ Variables: RateLimitVariables }>(async (c, next) => {
    if (c.req.method === "OPTIONS" || isExemptPath(c.req.path, exemptPaths)) {
      await next();
      return;
    }
    const key = await keyFor(c);
    let decision: Awaited<ReturnType<RateLimitStore["take"]>>;
    try {
      decision = await store.take(key, now(), capacity, refillPerSecond);
    } catch (error) {
      // A shared store that is down (e.g. Redis with fail-closed): 503, retry shortly.
      if ((error as { code?: unknown } | null)?.code !== "service_unavailable") throw error;
      const body = openAIError(
        "The rate limiter is temporarily unavailable",
        "server_error",
        "service_unavailable",
      );
      return new Response(JSON.stringify(body), {
        status: 503,
        headers: { "content-type": "application/json; charset=UTF-8", "retry-after": "1" },
      });
    }
    if (!decision.allowed) {
      // Millisecond precision, so float noise (1.0000000002 s) does not round up a whole second.
      const retryAfter = Math.round(decision.retryAfterSeconds * 1000) / 1000;
      const body = openAIError("Rate limit exceeded", "rate_limit_error", "rate_limit_exceeded", {
        retry_after: retryAfter,
      });
      return new Response(JSON.stringify(body), {
        status: 429,
        headers: {
          "content-type": "application/json; charset=UTF-8",
          "retry-after": String(Math.max(1, Math.ceil(retryAfter))),
          "x-ratelimit-limit-requests": limitHeader,
          "x-ratelimit-remaining-requests": "0",
        },
      });
    }
    const headers = {
      "x-ratelimit-limit-requests": limitHeader,
      "x-ratelimit-remaining-requests": String(decision.remaining),
    };
    c.set("rateLimitHeaders", headers);
    await next();
    if ((c.res as Response & { [RATE_LIMIT_HEADERS_SET]?: boolean })[RATE_LIMIT_HEADERS_SET]) return;
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}
