import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "./__fixtures__/listen.ts";
import { type ApiKeyAuthOptions, type AuthFailure, apiKeyAuth } from "./auth.ts";
import { MemoryRateLimitStore } from "./rate-limit.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function start(options: ApiKeyAuthOptions) {
  const app = new Hono();
  app.use(apiKeyAuth(options));
  app.get("/v1/models", (c) => c.json({ ok: true }));
  const server = await listen(app);
  closers.push(server.close);
  return (headers: Record<string, string> = {}) => fetch(`${server.url}/v1/models`, { headers });
}

describe("apiKeyAuth: the api-key header", () => {
  it("accepts a key sent the Azure way, and rejects a wrong one", async () => {
    const get = await start({ apiKeys: ["sk-one"] });
    expect((await get({ "api-key": "sk-one" })).status).toBe(200);
    expect((await get({ "api-key": "sk-two" })).status).toBe(401);
    expect((await get({ authorization: "Bearer sk-one" })).status).toBe(200);
  });
});

describe("apiKeyAuth: failed-auth throttling per client address", () => {
  it("answers a burst of 401s, then 429 with Retry-After to everything from that address, right key included", async () => {
    let t = 1_000_000;
    const failures: AuthFailure[] = [];
    const get = await start({
      apiKeys: ["sk-right"],
      throttle: { burst: 5, perMinute: 6, now: () => t },
      onFailure: (f) => failures.push(f),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await get({ authorization: `Bearer sk-guess-${i}` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    const blocked = await get({ authorization: "Bearer sk-right" });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = (await blocked.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: "rate_limit_error", code: "too_many_failed_auth_attempts" });
    // The key is never reported; the address is.
    expect(JSON.stringify(failures)).not.toContain("sk-");
    expect(failures[0]).toMatchObject({ reason: "invalid", path: "/v1/models" });
    expect(failures.at(-1)!.reason).toBe("throttled");
    // After the bucket refilled (one failure every 10 s), the right key works again.
    t += 11_000;
    expect((await get({ authorization: "Bearer sk-right" })).status).toBe(200);
  });

  it("counts failures in a shared store, so replicas throttle together; false turns it off", async () => {
    const store = new MemoryRateLimitStore();
    const a = await start({ apiKeys: ["k"], throttle: { burst: 3, perMinute: 1, store } });
    const b = await start({ apiKeys: ["k"], throttle: { burst: 3, perMinute: 1, store } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await a({ authorization: "Bearer x" })).status);
    statuses.push((await b({ authorization: "Bearer x" })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const off = await start({ apiKeys: ["k"], throttle: false });
    for (let i = 0; i < 30; i++) expect((await off({ authorization: "Bearer x" })).status).toBe(401);
  });

  it("a missing key counts as a failure too", async () => {
    const get = await start({ apiKeys: ["k"], throttle: { burst: 2, perMinute: 1 } });
    expect([(await get()).status, (await get()).status, (await get()).status]).toEqual([401, 401, 429]);
  });
});

describe("apiKeyAuth: behind a reverse proxy (trustProxy)", () => {
  it("throttles each client by the address its proxy saw, so one client's failures lock out only that client", async () => {
    const failures: AuthFailure[] = [];
    const get = await start({
      apiKeys: ["sk-right"],
      throttle: { burst: 3, perMinute: 1, trustProxy: 1 },
      onFailure: (f) => failures.push(f),
    });
    // The attacker also forges an entry of its own on the left: only the proxy's entry counts.
    const attacker = { "x-forwarded-for": "1.2.3.4, 203.0.113.7" };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await get({ ...attacker, authorization: `Bearer g${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    expect(failures[0]!.client).toBe("203.0.113.7");
    // Another client behind the same proxy (same socket address) is not locked out.
    const other = await get({ "x-forwarded-for": "198.51.100.2", authorization: "Bearer sk-right" });
    expect(other.status).toBe(200);
    // Changing the forged part does not give the attacker a fresh bucket.
    const forged = await get({ "x-forwarded-for": "9.9.9.9, 203.0.113.7", authorization: "Bearer sk-right" });
    expect(forged.status).toBe(429);
  });

  it("ignores X-Forwarded-For unless told to trust a proxy", async () => {
    const get = await start({ apiKeys: ["sk-right"], throttle: { burst: 2, perMinute: 1 } });
    for (let i = 0; i < 3; i++) await get({ "x-forwarded-for": `10.0.0.${i}`, authorization: "Bearer bad" });
    const next = await get({ "x-forwarded-for": "10.0.0.99", authorization: "Bearer sk-right" });
    expect(next.status).toBe(429);
  });

  it("refuses a trustProxy that is not a whole number of proxies", () => {
    expect(() => apiKeyAuth({ apiKeys: ["k"], throttle: { trustProxy: -1 } })).toThrow(RangeError);
    expect(() => apiKeyAuth({ apiKeys: ["k"], throttle: { trustProxy: 1.5 } })).toThrow(RangeError);
  });
});
