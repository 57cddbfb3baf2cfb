import { DeepRecallEngine, InMemoryCache } from "@deeprecall/core";
import { scriptedModel } from "@deeprecall/test-utils";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { afterEach, describe, expect, it } from "vitest";
import { type ErrorJson, Harness } from "./__fixtures__/harness.ts";
import { MemoryStore } from "./__fixtures__/scripted-engine.ts";
import { SECURE_HEADERS } from "./headers.ts";

const harness = new Harness();
const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await harness.stopAll();
  while (engines.length) await engines.pop()!.close();
});

const QUESTION = { messages: [{ role: "user", content: "Who founded Acme?" }] };

/** A real engine with the answer cache on; the model answers `answers` in turn, one per run. */
async function cachedEngine(answers: string[]) {
  const store = new MemoryStore("headers-test");
  await store.addDocuments({ documents: ["Acme was founded by Jane Doe."], ids: ["acme"] });
  const model = { callCount: 0 };
  const replies = answers.map((a) => () => {
    model.callCount++;
    return `FINAL(${a})`;
  });
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: scriptedModel(replies),
    cache: new InMemoryCache(),
    cacheAnswers: true,
  });
  engines.push(engine);
  return { engine, model };
}

/** Headers as a sorted record, without the ones that differ per response by nature. */
function headersOf(res: Response, drop: string[] = []): Record<string, string> {
  const skip = new Set(["date", "content-length", "x-request-id", ...drop]);
  return Object.fromEntries(
    [...res.headers].filter(([k]) => !skip.has(k)).sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The `data:` payloads of an SSE body, in order. */
function parseSse(text: string): string[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

type Completion = { choices: Array<{ message: { content: string } }>; usage: Record<string, number> };

describe("response headers", () => {
  it("SECURE_HEADERS is exactly what Hono's secureHeaders() sets with CORP and COOP off", async () => {
    const app = new Hono();
    app.use(secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }));
    app.get("/", (c) => c.json({}));
    const res = await app.request("/");
    const expected = [...res.headers].filter(([k]) => k !== "content-type");
    expect([...SECURE_HEADERS].map(([k, v]) => [k, v]).sort()).toEqual(expected.sort());
  });

  it("a cache hit carries the same headers as a miss, as Hono's requestId + secureHeaders gave", async () => {
    const { engine, model } = await cachedEngine(["Jane Doe"]);
    const { post, url } = await harness.start({}, engine);
    const miss = await post("/v1/chat/completions", QUESTION);
    const hit = await post("/v1/chat/completions", QUESTION);
    expect(miss.status).toBe(200);
    expect(hit.status).toBe(200);
    expect(model.callCount).toBe(1); // the second was served from the cache
    expect(headersOf(hit)).toEqual(headersOf(miss));
    expect(hit.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(hit.headers.get("x-request-id")).not.toBe(miss.headers.get("x-request-id"));
    expect(Number(hit.headers.get("content-length"))).toBe((await hit.text()).length);

    // The reference: Hono's own middleware over the same answer.
    const ref = new Hono();
    ref.use(requestId());
    ref.use(secureHeaders({ crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false }));
    ref.post("/", (c) => c.json({ ok: true }));
    const refRes = await ref.request("/", { method: "POST" });
    expect(headersOf(hit, ["connection", "keep-alive"])).toEqual(headersOf(refRes));
    expect(url).toBeTruthy();
  });

  it("keeps a valid incoming X-Request-Id and replaces an invalid one, as Hono's requestId() does", async () => {
    const { engine } = await cachedEngine(["Jane Doe"]);
    const { post } = await harness.start({}, engine);
    await post("/v1/chat/completions", QUESTION);
    const kept = await post("/v1/chat/completions", QUESTION, { "x-request-id": "trace-123_abc=" });
    expect(kept.headers.get("x-request-id")).toBe("trace-123_abc=");
    const replaced = await post("/v1/chat/completions", QUESTION, { "x-request-id": "bad id!" });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const long = await post("/v1/chat/completions", QUESTION, { "x-request-id": "a".repeat(256) });
    expect(long.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("errors, 404 and 405 carry the request id and the secure headers", async () => {
    const { engine } = await cachedEngine(["Jane Doe"]);
    const { post, request } = await harness.start({}, engine);
    const hit = await (async () => {
      await post("/v1/chat/completions", QUESTION);
      return post("/v1/chat/completions", QUESTION);
    })();
    const secure = Object.fromEntries(SECURE_HEADERS);
    const responses = [
      await post("/v1/chat/completions", { messages: "nope" }),
      await post("/v1/chat/completions", "{not json"),
      await request("/v1/nowhere"),
      await request("/v1/chat/completions", { method: "GET" }),
    ];
    for (const res of [hit, ...responses]) {
      for (const [k, v] of Object.entries(secure)) expect(res.headers.get(k), k).toBe(v);
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("x-powered-by")).toBeNull();
    }
    const [invalid, malformed, notFound, notAllowed] = responses as [Response, Response, Response, Response];
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorJson).error.param).toBe("messages");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorJson).error.code).toBe("invalid_json");
    expect(notFound.status).toBe(404);
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get("allow")).toBe("POST");
  });

  it("CORS and rate-limit headers are kept on a cache hit", async () => {
    const { engine } = await cachedEngine(["Jane Doe"]);
    const { post } = await harness.start({ cors: true, rateLimit: 100, apiKeys: ["sk-test-1"] }, engine);
    const auth = { authorization: "Bearer sk-test-1", origin: "https://example.com" };
    const miss = await post("/v1/chat/completions", QUESTION, auth);
    const hit = await post("/v1/chat/completions", QUESTION, auth);
    expect(hit.status).toBe(200);
    expect(hit.headers.get("access-control-allow-origin")).toBe("*");
    expect(hit.headers.get("x-ratelimit-limit-requests")).toBe("100");
    expect(hit.headers.get("x-ratelimit-remaining-requests")).toBeTruthy();
    expect(headersOf(hit, ["x-ratelimit-remaining-requests"])).toEqual(
      headersOf(miss, ["x-ratelimit-remaining-requests"]),
    );
    const denied = await post("/v1/chat/completions", QUESTION, { authorization: "Bearer nope" });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });
});

describe("answer cache through the server", () => {
  it("a hit reports usage 0 (nothing was spent) and the same answer and extension", async () => {
    const { engine } = await cachedEngine(["Jane Doe"]);
    const { post } = await harness.start({}, engine);
    const miss = (await (await post("/v1/chat/completions", QUESTION)).json()) as Completion & {
      deeprecall: Record<string, unknown>;
    };
    const hit = (await (await post("/v1/chat/completions", QUESTION)).json()) as typeof miss;
    expect(miss.usage.total_tokens).toBeGreaterThan(0);
    expect(hit.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(hit.choices[0]!.message.content).toBe("Jane Doe");
    // The same extension, except that it says the answer was cached and what its run spent.
    expect(miss.deeprecall).toMatchObject({ cached: false, cached_usage: null });
    expect(hit.deeprecall).toEqual({
      ...miss.deeprecall,
      cached: true,
      cached_usage: miss.usage,
      cost_usd: hit.deeprecall.cost_usd,
    });
  });

  it("a streamed hit streams the answer and reports usage 0", async () => {
    const { engine } = await cachedEngine(["Jane Doe"]);
    const { post } = await harness.start({}, engine);
    await post("/v1/chat/completions", QUESTION);
    const res = await post("/v1/chat/completions", {
      ...QUESTION,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const events = parseSse(await res.text());
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, unknown>);
    const content = chunks
      .map((c) => (c.choices as Array<{ delta: { content?: string } }>)[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe("Jane Doe");
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it("POST /v1/documents and DELETE /v1/documents invalidate cached answers", async () => {
    const { engine, model } = await cachedEngine(["one", "two", "three"]);
    const { post, request } = await harness.start({}, engine);
    const answer = async () =>
      ((await (await post("/v1/chat/completions", QUESTION)).json()) as Completion).choices[0]!.message
        .content;
    expect(await answer()).toBe("one");
    expect(await answer()).toBe("one"); // a hit
    expect(model.callCount).toBe(1);
    expect((await post("/v1/documents", { documents: ["New fact."], ids: ["new"] })).status).toBe(200);
    expect(await answer()).toBe("two");
    expect(await answer()).toBe("two");
    const deleted = await request("/v1/documents", {
      method: "DELETE",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ids: ["new"] }),
    });
    expect(deleted.status).toBe(200);
    expect(await answer()).toBe("three");
    expect(model.callCount).toBe(3);
  });

  it("no_cache skips the cache, and a request field still fails validation on a would-be hit", async () => {
    const { engine, model } = await cachedEngine(["one", "two"]);
    const { post } = await harness.start({}, engine);
    await post("/v1/chat/completions", QUESTION);
    const fresh = await post("/v1/chat/completions", { ...QUESTION, deeprecall: { no_cache: true } });
    expect(((await fresh.json()) as Completion).choices[0]!.message.content).toBe("two");
    expect(model.callCount).toBe(2);
    const bad = await post("/v1/chat/completions", { ...QUESTION, temperature: "hot" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorJson).error.param).toBe("temperature");
    const n2 = await post("/v1/chat/completions", { ...QUESTION, n: 2 });
    expect(((await n2.json()) as ErrorJson).error.param).toBe("n");
  });
});
