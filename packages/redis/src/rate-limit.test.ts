import { randomUUID } from "node:crypto";
import { rateLimiter } from "@deeprecall/middleware";
import { freePort } from "@deeprecall/test-utils";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisConnection } from "./connection.ts";
import { RedisUnavailableError } from "./errors.ts";
import { RedisRateLimitStore } from "./rate-limit.ts";

const url = inject("redisUrl");
// Non-empty when redis-server is missing outside CI: the suites below are skipped, saying so.
const redisSkip = inject("redisSkip");
const silent = () => {};
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});
/**
 * `commandTimeoutMs` of the stores the concurrency tests count on. Those stores fail open: a take
 * whose reply a stalled, busy machine reads after the timeout (1 s by default) is allowed, and an
 * exact count is off by one. Redis stays up there, so nothing else depends on the timeout.
 */
const BURST_TIMEOUT_MS = 5_000;

function store(options: ConstructorParameters<typeof RedisRateLimitStore>[0] = {}) {
  const s = new RedisRateLimitStore({ url, prefix: `t-${randomUUID()}:`, logger: silent, ...options });
  open.push(s);
  return s;
}

describe.skipIf(redisSkip)(`RedisRateLimitStore${redisSkip}`, () => {
  it("starts full, takes one token per call, then refuses with the wait for the next token", async () => {
    const s = store({ clock: "caller" });
    const t0 = 1_700_000_000_000;
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await s.take("k", t0, 3, 0.5));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]!.retryAfterSeconds).toBeCloseTo(2, 9); // 1 token at 0.5/s
    // Another key has its own bucket.
    expect((await s.take("other", t0, 3, 0.5)).allowed).toBe(true);
  });

  it("refills for the elapsed time (caller clock), never above capacity, and ignores a clock going back", async () => {
    const s = store({ clock: "caller" });
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 2; i++) await s.take("k", t0, 2, 1);
    expect((await s.take("k", t0, 2, 1)).allowed).toBe(false);
    expect((await s.take("k", t0 - 60_000, 2, 1)).allowed).toBe(false); // backwards: no refill
    const later = await s.take("k", t0 + 1500, 2, 1); // 1.5 tokens refilled, one taken
    expect(later).toMatchObject({ allowed: true, remaining: 0 });
    const muchLater = await s.take("k", t0 + 3_600_000, 2, 1); // capped at capacity 2
    expect(muchLater).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("with the server clock, ignores the caller's `now` and sets a TTL on the bucket", async () => {
    const prefix = `t-${randomUUID()}:`;
    const s = store({ prefix });
    // Callers disagreeing by an hour do not refill anything: Redis' TIME is the only clock.
    const now = Date.now();
    expect((await s.take("k", now, 2, 1e-9)).allowed).toBe(true);
    expect((await s.take("k", now + 3_600_000, 2, 1e-9)).allowed).toBe(true);
    expect((await s.take("k", now + 7_200_000, 2, 1e-9)).allowed).toBe(false);
    const conn = new RedisConnection({ url, logger: silent });
    open.push(conn);
    const ttl = Number(await conn.command(["PTTL", `${prefix}rl:k`]));
    expect(ttl).toBeGreaterThan(0);
  });

  it("is atomic across separate connections: exactly N of many concurrent takes pass", async () => {
    const prefix = `t-${randomUUID()}:`;
    const stores = [0, 1, 2].map(() => store({ prefix, commandTimeoutMs: BURST_TIMEOUT_MS }));
    const takes = Array.from({ length: 300 }, (_, i) => stores[i % 3]!.take("shared", Date.now(), 37, 1e-9));
    const results = await Promise.all(takes);
    expect(results.filter((r) => r.allowed)).toHaveLength(37);
  });

  it("fails open (allows) or closed (RedisUnavailableError) when Redis is unreachable", async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const logs: string[] = [];
    const openStore = store({ url: dead, logger: (e) => logs.push(`${e.level}:${e.message}`) });
    const closedStore = store({ url: dead, failOpen: false });
    expect(await openStore.take("k", Date.now(), 5, 1)).toMatchObject({ allowed: true });
    expect(await openStore.take("k", Date.now(), 5, 1)).toMatchObject({ allowed: true });
    await expect(closedStore.take("k", Date.now(), 5, 1)).rejects.toBeInstanceOf(RedisUnavailableError);
    // One warning per outage, not one per request; and no URL in it.
    expect(logs.filter((l) => l.startsWith("warn:"))).toHaveLength(1);
    expect(logs.join("\n")).not.toContain(dead);
  });
});

describe.skipIf(redisSkip)(`three Hono apps sharing one Redis${redisSkip}`, () => {
  it("enforce exactly N requests per bucket fleet-wide under concurrency", async () => {
    const prefix = `fleet-${randomUUID()}:`;
    const N = 40;
    const frozen = Date.now(); // a frozen caller clock: no refill during the burst, so N is exact
    const servers: { port: number; close(): Promise<void> }[] = [];
    for (let i = 0; i < 3; i++) {
      const limiterStore = store({ prefix, clock: "caller", commandTimeoutMs: BURST_TIMEOUT_MS });
      const app = new Hono();
      app.use(rateLimiter({ requestsPerMinute: N, store: limiterStore, now: () => frozen }));
      app.get("/work", (c) => c.json({ replica: i }));
      const port = await freePort();
      const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
      servers.push({
        port,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      });
    }
    try {
      const responses = await Promise.all(
        Array.from({ length: 150 }, (_, i) => fetch(`http://127.0.0.1:${servers[i % 3]!.port}/work`)),
      );
      const statuses = responses.map((r) => r.status);
      await Promise.all(responses.map((r) => r.arrayBuffer()));
      expect(statuses.filter((s) => s === 200)).toHaveLength(N);
      expect(statuses.filter((s) => s === 429)).toHaveLength(150 - N);
      // Each replica served some of the allowed ones (the bucket really is shared).
      const rejected = responses.find((r) => r.status === 429)!;
      expect(rejected.headers.get("retry-after")).not.toBeNull();
    } finally {
      for (const s of servers) await s.close();
    }
  });
});
