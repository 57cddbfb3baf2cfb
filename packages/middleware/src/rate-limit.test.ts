import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "./__fixtures__/listen.ts";
import { apiKeyAuth } from "./auth.ts";
import {
  MemoryRateLimitStore,
  RATE_LIMIT_HEADERS_SET,
  type RateLimiterOptions,
  type RateLimitStore,
  type RateLimitVariables,
  rateLimiter,
} from "./rate-limit.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function start(options: RateLimiterOptions, apiKeys?: string[]) {
  const app = new Hono();
  if (apiKeys) app.use(apiKeyAuth({ apiKeys }));
  app.use(rateLimiter(options));
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/v1/models", (c) => c.json({ ok: true }));
  const server = await listen(app);
  closers.push(server.close);
  return (path: string, key?: string) =>
    fetch(server.url + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

class RecordingStore implements RateLimitStore {
  readonly keys: string[] = [];
  readonly inner = new MemoryRateLimitStore();
  take(key: string, now: number, capacity: number, refill: number) {
    this.keys.push(key);
    return this.inner.take(key, now, capacity, refill);
  }
}

describe("rateLimiter over HTTP", () => {
  it("lets exactly N of many concurrent requests through for a bucket of N", async () => {
    const get = await start({ requestsPerMinute: 7, now: () => 1_000_000 });
    const responses = await Promise.all(Array.from({ length: 40 }, () => get("/v1/models")));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    expect(statuses.filter((s) => s === 429)).toHaveLength(33);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  });

  it("answers 429 with the OpenAI-shaped body, Retry-After and x-ratelimit headers", async () => {
    const get = await start({ requestsPerMinute: 2, now: () => 5_000 });
    expect((await get("/v1/models")).status).toBe(200);
    expect((await get("/v1/models")).status).toBe(200);
    const res = await get("/v1/models");
    expect(res.status).toBe(429);
    // Two per minute refill one token every 30 s.
    expect(res.headers.get("retry-after")).toBe("30");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(await res.json()).toEqual({
      error: {
        message: "Rate limit exceeded",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
        retry_after: 30,
      },
    });
  });

  it("rounds Retry-After up to whole seconds while retry_after keeps the fraction", async () => {
    let now = 0;
    const get = await start({ requestsPerMinute: 40, now: () => now }); // 1.5 s per token
    for (let i = 0; i < 40; i++) expect((await get("/v1/models")).status).toBe(200);
    now = 500; // a third of a token refilled
    const res = await get("/v1/models");
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: { retry_after: number } };
    expect(body.error.retry_after).toBeCloseTo(1, 5);
    expect(res.headers.get("retry-after")).toBe("1");
    now = 700;
    const res2 = await get("/v1/models");
    expect(((await res2.json()) as { error: { retry_after: number } }).error.retry_after).toBeCloseTo(0.8, 5);
    expect(res2.headers.get("retry-after")).toBe("1");
  });

  it("reports the remaining requests on allowed responses", async () => {
    const get = await start({ requestsPerMinute: 3, now: () => 0 });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const res = await get("/v1/models");
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("3");
      remaining.push(res.headers.get("x-ratelimit-remaining-requests"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
  });

  it("offers the headers to the handler; a response that carries them (marked) is not touched again", async () => {
    const app = new Hono<{ Variables: RateLimitVariables }>();
    app.use(rateLimiter({ requestsPerMinute: 5 }));
    let offered: RateLimitVariables["rateLimitHeaders"] | undefined;
    app.get("/v1/own", (c) => {
      offered = c.get("rateLimitHeaders");
      // A plain header object, as a fast handler builds it; the limiter must leave it as it is.
      // (A sentinel value shows whether the limiter set its headers again.)
      const res = new Response("{}", {
        headers: { "content-type": "application/json", ...offered, "x-ratelimit-remaining-requests": "kept" },
      });
      (res as Response & { [RATE_LIMIT_HEADERS_SET]?: boolean })[RATE_LIMIT_HEADERS_SET] = true;
      return res;
    });
    const server = await listen(app);
    closers.push(server.close);
    const res = await fetch(`${server.url}/v1/own`);
    expect(offered).toEqual({ "x-ratelimit-limit-requests": "5", "x-ratelimit-remaining-requests": "4" });
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("kept");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("5");
  });

  it("refills at requestsPerMinute / 60 per second, never above the burst", async () => {
    let now = 0;
    const get = await start({ requestsPerMinute: 6, now: () => now }); // one token per 10 s
    for (let i = 0; i < 6; i++) expect((await get("/v1/models")).status).toBe(200);
    expect((await get("/v1/models")).status).toBe(429);
    now = 9_999;
    expect((await get("/v1/models")).status).toBe(429);
    now = 10_000;
    expect((await get("/v1/models")).status).toBe(200);
    expect((await get("/v1/models")).status).toBe(429);
    now = 10_000 + 3_600_000; // an hour later: full bucket, not 360 tokens
    let passed = 0;
    for (let i = 0; i < 10; i++) if ((await get("/v1/models")).status === 200) passed++;
    expect(passed).toBe(6);
  });

  it("keeps one bucket per accepted API key", async () => {
    const get = await start({ requestsPerMinute: 2, now: () => 0 }, ["sk-a", "sk-b"]);
    expect((await get("/v1/models", "sk-a")).status).toBe(200);
    expect((await get("/v1/models", "sk-a")).status).toBe(200);
    expect((await get("/v1/models", "sk-a")).status).toBe(429);
    expect((await get("/v1/models", "sk-b")).status).toBe(200);
  });

  it("runs after auth: rejected keys never consume tokens", async () => {
    const get = await start({ requestsPerMinute: 1, now: () => 0 }, ["sk-a"]);
    for (let i = 0; i < 5; i++) expect((await get("/v1/models", "sk-wrong")).status).toBe(401);
    expect((await get("/v1/models", "sk-a")).status).toBe(200);
  });

  it("keys on the client IP without auth, ignoring unverified Bearer tokens", async () => {
    const store = new RecordingStore();
    const get = await start({ requestsPerMinute: 2, store, now: () => 0 });
    expect((await get("/v1/models", "made-up-1")).status).toBe(200);
    expect((await get("/v1/models", "made-up-2")).status).toBe(200);
    expect((await get("/v1/models", "made-up-3")).status).toBe(429);
    expect(new Set(store.keys).size).toBe(1);
    expect(store.keys[0]).toMatch(/^ip:.*127\.0\.0\.1$/);
  });

  it("behind a trusted proxy, keys on the address in X-Forwarded-For that the proxy added", async () => {
    const store = new RecordingStore();
    const app = new Hono();
    app.use(rateLimiter({ requestsPerMinute: 100, store, trustProxy: 1 }));
    app.get("/v1/models", (c) => c.json({ ok: true }));
    const server = await listen(app);
    closers.push(server.close);
    const get = (xff?: string) =>
      fetch(`${server.url}/v1/models`, { headers: xff ? { "x-forwarded-for": xff } : {} });
    await get("forged, 203.0.113.7");
    await get("198.51.100.2");
    await get();
    expect(store.keys).toEqual([
      "ip:203.0.113.7",
      "ip:198.51.100.2",
      expect.stringMatching(/^ip:.*127\.0\.0\.1$/),
    ]);
  });

  it("uses non-secret key ids as bucket names", async () => {
    const store = new RecordingStore();
    const get = await start({ requestsPerMinute: 5, store }, ["sk-secret-value"]);
    expect((await get("/v1/models", "sk-secret-value")).status).toBe(200);
    expect(store.keys).toHaveLength(1);
    expect(store.keys[0]).toMatch(/^key:[0-9a-f]{32}$/);
    expect(store.keys[0]).not.toContain("secret");
  });

  it("supports a custom keyFor and skips exempt paths", async () => {
    const store = new RecordingStore();
    const get = await start({ requestsPerMinute: 1, store, keyFor: () => "everyone", now: () => 0 });
    for (let i = 0; i < 5; i++) expect((await get("/health")).status).toBe(200);
    expect((await get("/v1/models")).status).toBe(200);
    expect((await get("/v1/models")).status).toBe(429);
    expect(store.keys).toEqual(["everyone", "everyone"]);
  });

  it("rejects a non-positive or non-finite rate", () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rateLimiter({ requestsPerMinute: bad })).toThrow(RangeError);
    }
  });
});

describe("MemoryRateLimitStore", () => {
  it("starts full, takes one token per call and reports what is left", async () => {
    const store = new MemoryRateLimitStore();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await store.take("k", 0, 3, 1));
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(results[3]!.retryAfterSeconds).toBeCloseTo(1, 9);
  });

  it("does not refill when the clock goes backwards", async () => {
    const store = new MemoryRateLimitStore();
    await store.take("k", 10_000, 1, 1);
    expect((await store.take("k", 0, 1, 1)).allowed).toBe(false);
    expect((await store.take("k", 10_999, 1, 1)).allowed).toBe(false);
    expect((await store.take("k", 11_000, 1, 1)).allowed).toBe(true);
  });

  it("sweeps buckets that have refilled completely", async () => {
    const store = new MemoryRateLimitStore({ sweepEvery: 3 });
    await store.take("a", 0, 2, 1);
    await store.take("b", 0, 2, 1);
    expect(store.size).toBe(2);
    await store.take("c", 5_000, 2, 1); // third call sweeps: a and b are full again
    expect(store.size).toBe(1);
  });
});

describe("rateLimiter when its store is down", () => {
  it("answers 503 with Retry-After for a store reporting service_unavailable, and 500 for other failures", async () => {
    const down: RateLimitStore = {
      take: async () => {
        throw Object.assign(new Error("Redis is unreachable"), { code: "service_unavailable" });
      },
    };
    const get = await start({ requestsPerMinute: 5, store: down });
    const res = await get("/v1/models");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: "service_unavailable", type: "server_error" });
    expect((await get("/health")).status).toBe(200);

    const broken: RateLimitStore = {
      take: async () => {
        throw new Error("bug");
      },
    };
    const getBroken = await start({ requestsPerMinute: 5, store: broken });
    expect((await getBroken("/v1/models")).status).toBe(500);
  });
});
