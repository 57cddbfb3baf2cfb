import { createHash } from "node:crypto";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "./__fixtures__/listen.ts";
import { type ApiKeyAuthOptions, type ApiKeyAuthVariables, apiKeyAuth, apiKeyId } from "./auth.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function start(options: ApiKeyAuthOptions) {
  const app = new Hono<{ Variables: ApiKeyAuthVariables }>();
  app.use(apiKeyAuth(options));
  app.onError((_err, c) =>
    c.json({ error: { message: "Internal server error", type: "server_error" } }, 500),
  );
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/docs", (c) => c.text("docs"));
  app.get("/v1/models", (c) => c.json({ key: c.get("apiKey") ?? null, id: c.get("apiKeyId") ?? null }));
  const server = await listen(app);
  closers.push(server.close);
  return (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers });
}

describe("apiKeyAuth", () => {
  it("lets everything through when no keys and no validator are configured", async () => {
    const get = await start({});
    const res = await get("/v1/models");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ key: null, id: null });
  });

  it("answers an OpenAI-shaped 401 'Missing API key' without a Bearer token", async () => {
    const get = await start({ apiKeys: ["sk-one"] });
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer" },
    ];
    for (const headers of variants) {
      const res = await get("/v1/models", headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(await res.json()).toEqual({
        error: {
          message: "Missing API key",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      });
    }
  });

  it("rejects wrong keys, prefixes and extensions of a valid key with 'Invalid API key'", async () => {
    const get = await start({ apiKeys: ["sk-one", "sk-two"] });
    for (const key of ["sk-three", "sk-on", "sk-one1", "SK-ONE"]) {
      const res = await get("/v1/models", { authorization: `Bearer ${key}` });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toBe("Invalid API key");
      expect(JSON.stringify(body)).not.toContain(key);
    }
  });

  it("accepts every configured key, with any casing of the scheme, and exposes it to handlers", async () => {
    const get = await start({ apiKeys: ["sk-one", "sk-two"] });
    for (const header of ["Bearer sk-one", "bearer sk-two", "BEARER   sk-one  "]) {
      const res = await get("/v1/models", { authorization: header });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { key: string; id: string };
      expect(header).toContain(body.key);
      expect(body.id).toBe(await apiKeyId(body.key));
      // The id is the key's SHA-256, as any other tool computes it (ids stay stable across versions).
      expect(body.id).toBe(createHash("sha256").update(body.key, "utf8").digest("hex").slice(0, 32));
    }
  });

  it("refuses keys that share a prefix with a configured key, and compares non-ASCII keys as UTF-8", async () => {
    const get = await start({ apiKeys: ["sk-one", "sk-clé-ünï"], throttle: false });
    for (const key of ["sk-on", "sk-one1", "sk-one-", "SK-ONE", "sk-cle-uni", "sk-clé-ün"]) {
      expect((await get("/v1/models", { authorization: `Bearer ${key}` })).status).toBe(401);
    }
    const res = await get("/v1/models", { authorization: `Bearer ${"sk-clé-ünï"}` });
    expect(res.status).toBe(200);
  });

  it("exempts /health, /docs and /openapi.json by default, but not look-alike paths", async () => {
    const get = await start({ apiKeys: ["sk-one"] });
    expect((await get("/health")).status).toBe(200);
    expect((await get("/docs")).status).toBe(200);
    expect((await get("/healthz")).status).toBe(401);
  });

  it("honours custom exempt paths", async () => {
    const get = await start({ apiKeys: ["sk-one"], exemptPaths: ["/v1/models"] });
    expect((await get("/v1/models")).status).toBe(200);
    expect((await get("/health")).status).toBe(401);
  });

  it("supports a synchronous validator", async () => {
    const seen: string[] = [];
    const get = await start({
      validate: (key) => {
        seen.push(key);
        return key.startsWith("sk-db-");
      },
    });
    expect((await get("/v1/models", { authorization: "Bearer sk-db-42" })).status).toBe(200);
    expect((await get("/v1/models", { authorization: "Bearer sk-other" })).status).toBe(401);
    expect((await get("/v1/models")).status).toBe(401);
    expect(seen).toEqual(["sk-db-42", "sk-other"]);
  });

  it("supports an async validator alongside a key list", async () => {
    const get = await start({
      apiKeys: ["sk-static"],
      validate: async (key) => {
        await new Promise((r) => setImmediate(r));
        return key === "sk-async";
      },
    });
    expect((await get("/v1/models", { authorization: "Bearer sk-static" })).status).toBe(200);
    expect((await get("/v1/models", { authorization: "Bearer sk-async" })).status).toBe(200);
    expect((await get("/v1/models", { authorization: "Bearer sk-nope" })).status).toBe(401);
  });

  it("treats a validator that does not return true as a rejection", async () => {
    const get = await start({ validate: () => "yes" as unknown as boolean });
    expect((await get("/v1/models", { authorization: "Bearer anything" })).status).toBe(401);
  });

  it("lets a throwing validator reach the app's error handler instead of granting access", async () => {
    const get = await start({
      validate: async () => {
        throw new Error("db down: postgres://user:secret@db");
      },
    });
    const res = await get("/v1/models", { authorization: "Bearer sk-x" });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("secret");
  });

  it("rejects empty configured keys up front", () => {
    expect(() => apiKeyAuth({ apiKeys: [""] })).toThrow(TypeError);
  });
});
