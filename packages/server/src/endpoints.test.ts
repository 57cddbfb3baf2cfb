import { ConfigError, LLMProviderError, VectorStoreError } from "@deeprecall/core";
import { afterEach, describe, expect, it } from "vitest";
import { type ErrorJson, Harness, hasStack } from "./__fixtures__/harness.ts";
import { MemoryStore, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

const chat = (content: unknown = "q") => ({ messages: [{ role: "user", content }] });

async function errorOf(res: Response, status: number): Promise<ErrorJson["error"]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  expect(hasStack(text)).toBe(false);
  const body = JSON.parse(text) as ErrorJson;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.type).toBe("string");
  expect(body.error).toHaveProperty("param");
  expect(body.error).toHaveProperty("code");
  return body.error;
}

describe("request errors are OpenAI-shaped 4xx, never 500", () => {
  it("malformed JSON → 400 invalid_json", async () => {
    const { post } = await harness.start();
    const err = await errorOf(await post("/v1/chat/completions", '{"messages": [ {"role": "user", '), 400);
    expect(err.code).toBe("invalid_json");
    expect(err.type).toBe("invalid_request_error");
  });

  it("parses a JSON body sent without a JSON content type (curl -d)", async () => {
    const { request } = await harness.start();
    const res = await request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: JSON.stringify(chat("hello")),
    });
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message
        .content,
    ).toBe("Answer to: hello");
  });

  it("an empty body → 400", async () => {
    const { request } = await harness.start();
    const res = await request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect((await errorOf(res, 400)).code).toBe("invalid_json");
  });

  it("schema violations → 400 with param naming the field", async () => {
    const { post } = await harness.start();
    const cases: Array<[unknown, string]> = [
      [{}, "messages"],
      [{ messages: "hi" }, "messages"],
      [{ messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
      [{ messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
      [{ ...chat(), stream: "yes" }, "stream"],
      [{ ...chat(), max_tokens: -5 }, "max_tokens"],
      [{ ...chat(), deeprecall: { top_k: 0 } }, "deeprecall.top_k"],
      [{ ...chat(), deeprecall: { filters: { year: { $regex: "x" } } } }, "deeprecall.filters.year"],
      [{ ...chat("   ") }, "messages[0].content"],
      [{ ...chat([{ type: "text" }]) }, "messages[0].content[0].text"],
      [{ ...chat([{ type: "input_audio", input_audio: {} }]) }, "messages[0].content[0]"],
      [[1, 2, 3], ""],
      ["null", ""],
    ];
    for (const [body, param] of cases) {
      const err = await errorOf(await post("/v1/chat/completions", body as object), 400);
      if (param) expect(err.param, JSON.stringify(body)).toBe(param);
      expect(err.type).toBe("invalid_request_error");
    }
  });

  it("ignores unknown request fields", async () => {
    const { post } = await harness.start();
    const res = await post("/v1/chat/completions", {
      ...chat("hi"),
      top_p: 0.3,
      user: "u-1",
      seed: 7,
      frequency_penalty: 0,
      logit_bias: {},
      n: 1,
      some_future_field: { x: 1 },
      messages: [{ role: "user", content: "hi", name: "alice", extra: true }],
    });
    expect(res.status).toBe(200);
  });

  it("bodies over the limit → 413, by Content-Length and when chunked", async () => {
    const { post, request } = await harness.start({ bodyLimitBytes: 1000 });
    const big = JSON.stringify(chat("x".repeat(5000)));
    const err = await errorOf(await post("/v1/chat/completions", big), 413);
    expect(err.code).toBe("request_too_large");
    expect(err.message).toContain("1000");
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect((await errorOf(res, 413)).code).toBe("request_too_large");
    // Within the limit is fine.
    expect((await post("/v1/chat/completions", chat("small"))).status).toBe(200);
  });

  it("unknown routes → 404 and wrong methods → 405 with Allow, both OpenAI-shaped", async () => {
    const { request } = await harness.start();
    const notFound = await errorOf(await request("/v1/nope"), 404);
    expect(notFound.message).toContain("/v1/nope");
    const res = await request("/v1/chat/completions");
    expect(res.headers.get("allow")).toContain("POST");
    expect((await errorOf(res, 405)).code).toBe("method_not_allowed");
    expect((await request("/v1/models", { method: "POST" })).status).toBe(405);
  });
});

describe("engine failures map to the right status", () => {
  const cases: Array<[string, () => Error, number, string]> = [
    [
      "ConfigError with field",
      () => new ConfigError("topK must be positive", { field: "topK" }),
      400,
      "invalid_value",
    ],
    ["provider failure", () => new LLMProviderError("HTTP 500 from upstream"), 502, "llm_provider_error"],
    [
      "provider not configured",
      () => new LLMProviderError("Language model is not configured"),
      503,
      "model_not_configured",
    ],
    ["store failure", () => new VectorStoreError("boom", { store: "chroma" }), 502, "vector_store_error"],
    [
      "transient store failure",
      () => new VectorStoreError("ECONNREFUSED", { store: "chroma", retryable: true }),
      503,
      "vector_store_error",
    ],
    ["a bug", () => new Error("undefined is not a function at /srv/app.js:10:3"), 500, "internal_error"],
  ];
  for (const [name, make, status, code] of cases) {
    it(`${name} → ${status}`, async () => {
      const { post, engine } = await harness.start();
      engine.onQuery = async () => {
        throw make();
      };
      const err = await errorOf(await post("/v1/chat/completions", chat()), status);
      expect(err.code).toBe(code);
      if (status === 500) expect(err.message).toBe("Internal server error");
      if (code === "vector_store_error") expect(err.message).toContain("chroma");
      if (name === "ConfigError with field") expect(err.param).toBe("topK");
    });
  }

  it("logs 5xx errors through the logger hook, without the API key", async () => {
    const entries: Array<{ level: string; message: string; error?: unknown; status?: number }> = [];
    const { post, engine } = await harness.start({
      apiKeys: ["sk-top-secret-key"],
      logger: (e) => entries.push(e),
    });
    engine.onQuery = async () => {
      throw new Error("kaboom");
    };
    await post("/v1/chat/completions", chat(), { authorization: "Bearer sk-top-secret-key" });
    const failure = entries.find((e) => e.level === "error");
    expect(failure?.status).toBe(500);
    expect((failure!.error as Error).message).toBe("kaboom");
    expect(entries.some((e) => e.message === "request" && e.status === 500)).toBe(true);
    expect(JSON.stringify(entries.map(({ error: _e, ...rest }) => rest))).not.toContain("sk-top-secret-key");
  });
});

describe("/v1/documents, /v1/search", () => {
  it("adds documents and returns their ids and count", async () => {
    const { post } = await harness.start();
    const res = await post("/v1/documents", {
      documents: ["Document 1 text...", "Document 2 text..."],
      metadatas: [{ source: "a.txt" }, { source: "b.txt" }],
      ids: ["doc-1", "doc-2"],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ids: ["doc-1", "doc-2"], count: 2 });
    const generated = (await (await post("/v1/documents", { documents: ["only text"] })).json()) as {
      ids: string[];
    };
    expect(generated.ids).toHaveLength(1);
  });

  it("rejects bad input exactly like the stores, naming the param, writing nothing", async () => {
    const { post, engine } = await harness.start();
    const cases: Array<[unknown, string]> = [
      [{ documents: [] }, "documents"],
      [{ documents: ["a", ""] }, "documents[1]"],
      [{ documents: ["a", 7] }, "documents[1]"],
      [{ documents: ["a", "b"], metadatas: [{}] }, "metadatas"],
      [{ documents: ["a", "b"], ids: ["x", "x"] }, "ids[1]"],
      [{ documents: ["a"], metadatas: ["nope"] }, "metadatas[0]"],
      [{ documents: ["a"], embeddings: [["x"]] }, "embeddings[0][0]"],
      [{ documents: "a" }, "documents"],
      [{}, "documents"],
    ];
    for (const [body, param] of cases) {
      const err = await errorOf(await post("/v1/documents", body as object), 400);
      expect(err.param, JSON.stringify(body)).toBe(param);
    }
    expect(engine.vectorStore.docs.size).toBe(0);
    expect(engine.calls.filter((c) => c.method === "addDocuments")).toHaveLength(0);
  });

  it("names the store on failure (never where it lives) and says which ids were written", async () => {
    const store = new MemoryStore("chroma(http://localhost:8000)");
    const engine = new ScriptedEngine(store);
    const { post } = await harness.start({}, engine);
    store.failWith = new VectorStoreError("write failed at batch 2", {
      store: store.name,
      writtenIds: ["doc-1"],
    });
    const err = await errorOf(
      await post("/v1/documents", { documents: ["a", "b"], ids: ["doc-1", "doc-2"] }),
      502,
    );
    expect(err.message).toContain("The vector store (chroma(");
    expect(err.message).not.toMatch(/localhost|8000|http/);
    expect(err.message).toContain("1 document(s) were written");
    expect(err.written_ids).toEqual(["doc-1"]);
  });

  it("deletes by ids, says which were removed and which were not found, and validates the ids", async () => {
    const { post, request, engine } = await harness.start();
    await post("/v1/documents", { documents: ["a", "b"], ids: ["1", "2"] });
    const del = (body: unknown) =>
      request("/v1/documents", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const res = await del({ ids: ["1"] });
    expect(await res.json()).toEqual({ ids: ["1"], count: 1, deleted: true, not_found: [] });
    expect([...engine.vectorStore.docs.keys()]).toEqual(["2"]);
    const mixed = await del({ ids: ["nope", "2", "1", "2"] });
    expect(await mixed.json()).toEqual({ ids: ["2"], count: 1, deleted: true, not_found: ["nope", "1"] });
    expect(engine.vectorStore.docs.size).toBe(0);
    expect(await (await del({ ids: ["gone"] })).json()).toEqual({
      ids: [],
      count: 0,
      deleted: false,
      not_found: ["gone"],
    });
    expect((await errorOf(await del({ ids: [] }), 400)).param).toBe("ids");
    expect((await errorOf(await del({ ids: [""] }), 400)).param).toBe("ids[0]");
    expect((await errorOf(await del({}), 400)).param).toBe("ids");
  });

  it("searches the store without the LLM, with top_k and filters", async () => {
    const { post, engine } = await harness.start();
    await post("/v1/documents", {
      documents: ["apple pie recipe", "apple stock price", "pear tart"],
      ids: ["pie", "stock", "pear"],
      metadatas: [{ kind: "food" }, { kind: "finance" }, { kind: "food" }],
    });
    const res = await post("/v1/search", { query: "apple", top_k: 5, filters: { kind: "food" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      data: Array<{ id: string; score: number; metadata: unknown }>;
    };
    expect(body.object).toBe("list");
    expect(body.data.map((h) => h.id)).toEqual(["pie"]);
    expect(body.data[0]!.metadata).toEqual({ kind: "food" });
    expect(engine.calls.some((c) => c.method === "query" || c.method === "stream")).toBe(false);
    const limited = (await (await post("/v1/search", { query: "apple", top_k: 1 })).json()) as {
      data: unknown[];
    };
    expect(limited.data).toHaveLength(1);
    expect((await errorOf(await post("/v1/search", { query: "" }), 400)).param).toBe("query");
    expect((await errorOf(await post("/v1/search", { query: "a", filters: { $and: [] } }), 400)).param).toBe(
      "filters.$and",
    );
  });
});

describe("models, usage, cache, health, docs", () => {
  it("lists the model and 404s unknown ones", async () => {
    const { request } = await harness.start({ modelName: "dr-1" });
    const list = (await (await request("/v1/models")).json()) as {
      object: string;
      data: Array<{ id: string; object: string }>;
    };
    expect(list).toMatchObject({
      object: "list",
      data: [{ id: "dr-1", object: "model", owned_by: "deeprecall" }],
    });
    expect(((await (await request("/v1/models/dr-1")).json()) as { id: string }).id).toBe("dr-1");
    expect((await errorOf(await request("/v1/models/gpt-4"), 404)).code).toBe("model_not_found");
  });

  it("says clearly when usage tracking is off, and reports it in snake_case when on", async () => {
    const engine = new ScriptedEngine();
    const { request } = await harness.start({}, engine);
    const off = (await (await request("/v1/usage")).json()) as {
      status: string;
      usage: null;
      message: string;
    };
    expect(off).toEqual({ status: "ok", usage: null, message: expect.stringMatching(/No usage tracker/) });
    engine.usageReport = {
      totalQueries: 3,
      failedQueries: 1,
      inputTokens: 100,
      outputTokens: 20,
      totalTokens: 120,
      llmCalls: 4,
      searchCalls: 6,
      totalCostUsd: 0.01,
      averageTimeMs: 250,
      byModel: { "gpt-4o-mini": { calls: 4, inputTokens: 100, outputTokens: 20, totalTokens: 120 } },
      since: "2026-01-01T00:00:00.000Z",
      recentQueries: [
        {
          query: "What changed?",
          startedAt: "2026-01-01T00:10:00.000Z",
          timeMs: 300,
          totalTokens: 40,
          costUsd: null,
          error: "Budget exceeded: maxTokens",
        },
      ],
    };
    const on = await (await request("/v1/usage")).json();
    // The Python original's shape, its keys first, ours inside `usage`.
    expect(on).toEqual({
      status: "ok",
      usage: {
        total_queries: 3,
        total_tokens: 120,
        total_searches: 6,
        total_time: 0.75,
        errors: 1,
        failed_queries: 1,
        prompt_tokens: 100,
        completion_tokens: 20,
        llm_calls: 4,
        search_calls: 6,
        total_cost_usd: 0.01,
        average_time_ms: 250,
        by_model: {
          "gpt-4o-mini": { calls: 4, prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        },
        since: "2026-01-01T00:00:00.000Z",
        recent_queries: [
          {
            query: "What changed?",
            started_at: "2026-01-01T00:10:00.000Z",
            time_ms: 300,
            total_tokens: 40,
            cost_usd: null,
            error: "Budget exceeded: maxTokens",
          },
        ],
      },
    });
  });

  it("clears the cache", async () => {
    const { post, engine } = await harness.start();
    const res = await post("/v1/cache/clear", {});
    expect(await res.json()).toEqual({ status: "ok", message: "Cache cleared" });
    const bare = await harness.start({}, engine);
    expect((await bare.request("/v1/cache/clear", { method: "POST" })).status).toBe(200);
    expect(engine.cacheClears).toBe(2);
  });

  it("reports health with store name and size, secrets masked, and degraded when the store fails", async () => {
    const store = new MemoryStore("chroma(http://admin:pw123@db:8000)");
    const engine = new ScriptedEngine(store);
    const { request, post } = await harness.start({ apiKeys: ["k"] }, engine);
    await post("/v1/documents", { documents: ["a", "b", "c"] }, { authorization: "Bearer k" });
    const res = await request("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: "ok",
      documents: 3,
      model: "deeprecall",
      engine_model: "scripted-model",
    });
    expect(body.vector_store).toContain("chroma(");
    expect(JSON.stringify(body)).not.toContain("pw123");
    store.failWith = new Error("down");
    expect(await (await request("/health")).json()).toMatchObject({ status: "degraded", documents: null });
  });

  it("serves a valid OpenAPI document listing every route, and Swagger UI over it", async () => {
    const { request } = await harness.start({ apiKeys: ["k"] });
    const res = await request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        "POST /v1/chat/completions",
        "POST /v1/responses",
        "GET /v1/responses/{response_id}",
        "DELETE /v1/responses/{response_id}",
        "GET /v1/responses/{response_id}/input_items",
        "POST /v1/responses/{response_id}/cancel",
        "POST /v1/completions",
        "POST /v1/embeddings",
        "POST /v1/documents",
        "DELETE /v1/documents",
        "GET /v1/documents",
        "GET /v1/documents/{id}",
        "POST /v1/documents/upload",
        "POST /v1/search",
        "GET /v1/models",
        "GET /v1/models/{id}",
        "GET /v1/usage",
        "POST /v1/cache/clear",
        "GET /health",
      ].sort(),
    );
    expect(doc.components.schemas).toHaveProperty("ChatCompletionRequest");
    expect(doc.components.securitySchemes).toHaveProperty("bearerAuth");
    const docs = await request("/docs");
    expect(docs.status).toBe(200);
    const html = await docs.text();
    expect(html).toMatch(/<script src="https:\/\/[^"]+\/swagger-ui-bundle\.js"/);
    expect(html).toContain('url: "/openapi.json"');
    // Offline (the CDN script did not load), the page points to the OpenAPI document instead of staying blank.
    expect(html).toContain('typeof window.SwaggerUIBundle !== "function"');
    expect(html).toContain('<a href=\\"/openapi.json\\">/openapi.json</a>');
  });
});

describe("auth, rate limiting and CORS in createApp", () => {
  it("requires a key except on exempt paths, and accepts an async validator", async () => {
    const { request, post } = await harness.start({
      validateKey: async (key) => key === "sk-from-db",
    });
    expect((await errorOf(await request("/v1/models"), 401)).message).toBe("Missing API key");
    expect(
      (await errorOf(await request("/v1/models", { headers: { authorization: "Bearer nope" } }), 401))
        .message,
    ).toBe("Invalid API key");
    expect((await request("/v1/models", { headers: { authorization: "Bearer sk-from-db" } })).status).toBe(
      200,
    );
    expect((await post("/v1/chat/completions", chat(), { authorization: "Bearer sk-from-db" })).status).toBe(
      200,
    );
    for (const path of ["/health", "/docs", "/openapi.json"]) expect((await request(path)).status).toBe(200);
  });

  it("lets exactly N of many concurrent chat requests through", async () => {
    const { post } = await harness.start({ apiKeys: ["sk-a"], rateLimit: 5 });
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        post("/v1/chat/completions", chat(), { authorization: "Bearer sk-a" }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const err = await errorOf(limited, 429);
    expect(err).toMatchObject({ message: "Rate limit exceeded", type: "rate_limit_error" });
    expect(typeof err.retry_after).toBe("number");
    await Promise.all(responses.map((r) => (r.bodyUsed ? null : r.arrayBuffer())));
    const ok = await harness.start({ rateLimit: 100 });
    const res = await ok.request("/v1/models");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("100");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("99");
  });

  it("answers CORS preflights when enabled, without requiring a key", async () => {
    const { request } = await harness.start({ cors: true, apiKeys: ["k"] });
    const res = await request("/v1/chat/completions", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
  });
});
