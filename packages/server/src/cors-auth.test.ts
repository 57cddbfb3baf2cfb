import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type ErrorJson, Harness } from "./__fixtures__/harness.ts";
import { ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { corsOptions } from "./middleware.ts";
import type { ServerLogEntry } from "./types.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

const STAINLESS =
  "authorization,content-type,x-stainless-lang,x-stainless-package-version,x-stainless-os,x-stainless-arch,x-stainless-runtime,x-stainless-runtime-version,x-stainless-retry-count,x-stainless-timeout";

const preflight = (origin: string, headers = STAINLESS) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
});

describe("CORS", () => {
  it("a preflight from the openai npm client in a browser is allowed every header it asks for", async () => {
    const { request } = await harness.start({ cors: ["https://app.example"], apiKeys: ["k"], rateLimit: 1 });
    const res = await request("/v1/chat/completions", preflight("https://app.example"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    for (const h of STAINLESS.split(",")) expect(allowed).toContain(h);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    // A second preflight is not rate limited or refused either.
    expect((await request("/v1/responses", preflight("https://app.example"))).status).toBe(204);
  });

  it("a plain OPTIONS (no Origin: not a CORS request) gets the usual 405 with Allow, not a preflight answer", async () => {
    const { request } = await harness.start({ cors: "*" });
    const res = await request("/v1/documents/upload", { method: "OPTIONS" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an origin not on the list gets no CORS headers", async () => {
    const { request } = await harness.start({ cors: ["https://app.example"] });
    const res = await request("/v1/models", { headers: { origin: "https://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes the request id and rate-limit headers, on successes and on 401/429 errors", async () => {
    const { request } = await harness.start({ cors: true, apiKeys: ["k"], rateLimit: 1 });
    const ok = await request("/v1/models", {
      headers: { origin: "https://a.example", authorization: "Bearer k" },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = (ok.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const h of [
      "x-request-id",
      "retry-after",
      "x-ratelimit-limit-requests",
      "x-ratelimit-remaining-requests",
    ]) {
      expect(exposed).toContain(h);
    }
    const limited = await request("/v1/models", {
      headers: { origin: "https://a.example", authorization: "Bearer k" },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("access-control-allow-origin")).toBe("*");
    const denied = await request("/v1/models", { headers: { origin: "https://a.example" } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("corsOptions: what createApp's cors option means", () => {
    expect(corsOptions(undefined)).toBeUndefined();
    expect(corsOptions(false)).toBeUndefined();
    expect(corsOptions(true)?.origin).toBe("*");
    expect(corsOptions("*")?.origin).toBe("*");
    expect(corsOptions(["https://a", "*"])?.origin).toBe("*");
    expect(corsOptions("https://a")?.origin).toBe("https://a");
    expect(corsOptions({ origin: "https://b", exposeHeaders: ["x-mine"] })?.exposeHeaders).toEqual([
      "x-request-id",
      "retry-after",
      "x-ratelimit-limit-requests",
      "x-ratelimit-remaining-requests",
      "x-mine",
    ]);
  });
});

describe("authentication through createApp", () => {
  it("throttles failed attempts per client (burst of 401s, then 429 + Retry-After), logs them without the key", async () => {
    const logs: ServerLogEntry[] = [];
    const { request, url } = await harness.start({
      apiKeys: ["sk-right-key-123456"],
      logger: (e) => logs.push(e),
      // A clock that stands still: no token refills however slowly the 41 requests go.
      authThrottle: { now: () => 1_000_000 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push(
        (await request("/v1/models", { headers: { authorization: `Bearer sk-wrong-${i}-abcdef` } })).status,
      );
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
    const right = await request("/v1/models", { headers: { authorization: "Bearer sk-right-key-123456" } });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await right.json()) as ErrorJson).error.type).toBe("rate_limit_error");
    const failures = logs.filter((l) => /authentication failed/.test(l.message));
    expect(failures.length).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(logs)).not.toMatch(/sk-wrong|sk-right/);
    // The official client sees a RateLimitError.
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-wrong", maxRetries: 0 });
    expect(await client.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("accepts the key in an api-key header (Azure clients)", async () => {
    const { request, post } = await harness.start({ apiKeys: ["sk-az"] });
    expect((await request("/v1/models", { headers: { "api-key": "sk-az" } })).status).toBe(200);
    expect(
      (
        await post(
          "/v1/chat/completions",
          { messages: [{ role: "user", content: "q" }] },
          { "api-key": "sk-az" },
        )
      ).status,
    ).toBe(200);
    expect((await request("/v1/models", { headers: { "api-key": "nope" } })).status).toBe(401);
  });

  it("trustProxy: behind a proxy, failed auth counts per client (X-Forwarded-For), not per proxy", async () => {
    const logs: Array<{ message: string }> = [];
    const { request } = await harness.start({
      apiKeys: ["sk-right"],
      trustProxy: 1,
      logger: (e) => logs.push(e),
    });
    const from = (address: string, key: string) =>
      request("/v1/models", { headers: { "x-forwarded-for": address, authorization: `Bearer ${key}` } });
    for (let i = 0; i < 12; i++) await from("203.0.113.7", `sk-guess-${i}`);
    expect((await from("203.0.113.7", "sk-right")).status).toBe(429);
    // Another client behind the same proxy (the same socket address) still gets in.
    expect((await from("198.51.100.2", "sk-right")).status).toBe(200);
    expect(logs.some((l) => l.message.includes("from 203.0.113.7"))).toBe(true);
    expect(() => createApp(new ScriptedEngine(), { trustProxy: -1 })).toThrow(/trustProxy/);
  });

  it("authThrottle: false turns throttling off", async () => {
    const { request } = await harness.start({ apiKeys: ["k"], authThrottle: false });
    for (let i = 0; i < 25; i++)
      expect((await request("/v1/models", { headers: { authorization: "Bearer x" } })).status).toBe(401);
  });
});
