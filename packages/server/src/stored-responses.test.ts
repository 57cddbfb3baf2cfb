/**
 * Stored responses over real HTTP with the official `openai` client: `store` honoured,
 * responses.retrieve / delete / inputItems.list, `previous_response_id` reaching the engine as
 * history, per-key scoping, the bounds, and OpenAI's errors — every answer checked against
 * OpenAI's published schemas.
 */
import { DeepRecallEngine, type QueryOptions } from "@deeprecall/core";
import { scriptedModel } from "@deeprecall/test-utils";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ErrorJson, Harness } from "./__fixtures__/harness.ts";
import { expectOpenAISchema } from "./__fixtures__/openai-schema.ts";
import { MemoryStore, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { type ResponseItem, ResponseStore } from "./response-store.ts";
import { responseTurn } from "./routes/responses.ts";
import type { ResponseRequest } from "./schemas.ts";
import type { CreateAppOptions } from "./types.ts";

const harness = new Harness();
const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await harness.stopAll();
  while (engines.length) await engines.pop()!.close();
});

const KEYS = ["sk-alice", "sk-bob"];

async function serve(options: CreateAppOptions = {}, engine?: ScriptedEngine | DeepRecallEngine) {
  const s = await harness.start({ apiKeys: KEYS, ...options }, engine ?? new ScriptedEngine());
  const client = (key = KEYS[0]!) => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: key, maxRetries: 0 });
  /** A raw request with key `key` (the first by default): for exact error bodies and query strings. */
  const raw = (path: string, init: RequestInit & { key?: string } = {}) =>
    s.request(path, {
      ...init,
      headers: { authorization: `Bearer ${init.key ?? KEYS[0]}`, ...init.headers },
    });
  return { ...s, client, raw, alice: client(KEYS[0]), bob: client(KEYS[1]) };
}

/** The engine calls' options, in order (the scripted engine records each). */
const queries = (engine: ScriptedEngine) =>
  engine.calls.filter((c) => c.method === "query" || c.method === "stream") as Array<{
    query: string;
    options: QueryOptions;
  }>;

/** A response's `store` (the SDK's type leaves it out). */
const storeOf = (response: object) => (response as { store?: unknown }).store;

/** Asserts an OpenAI-shaped error (validated against the schema) and returns it. */
async function expectError(res: Response, status: number, param: string | null, code: string | null) {
  const body = (await res.json()) as ErrorJson;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expectOpenAISchema("ErrorResponse", body);
  expect(body.error.param).toBe(param);
  expect(body.error.code).toBe(code);
  return body.error;
}

/** The rejection of `promise` (an openai APIError). */
async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}

describe("store (default true) and retrieve", () => {
  it("a created response says store: true; retrieve returns it as it was; input_items lists its input", async () => {
    const { alice, raw } = await serve();
    const created = await alice.responses.create({
      model: "deeprecall",
      instructions: "Be terse.",
      input: "When was the Eiffel Tower built?",
    });
    expectOpenAISchema("Response", created);
    expect(storeOf(created)).toBe(true);
    expect(created.previous_response_id).toBeNull();
    const retrieved = await alice.responses.retrieve(created.id);
    expectOpenAISchema("Response", retrieved);
    expect(retrieved).toEqual(created);
    // `include` is accepted (and changes nothing); the SDK sends it as include[].
    const withInclude = await alice.responses.retrieve(created.id, {
      include: ["message.output_text.logprobs"],
    });
    expect(withInclude).toEqual(created);
    const plain = await raw(`/v1/responses/${created.id}?include=reasoning.encrypted_content&stream=false`);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ id: created.id, store: true });

    const items = await alice.responses.inputItems.list(created.id);
    const page = {
      object: "list",
      data: items.data,
      first_id: items.data[0]?.id,
      last_id: items.data.at(-1)?.id,
      has_more: items.has_more,
    };
    expectOpenAISchema("ResponseItemList", page);
    expect(items.data).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "When was the Eiffel Tower built?" }],
      },
    ]);
    const body = await (await raw(`/v1/responses/${created.id}/input_items`)).json();
    expectOpenAISchema("ResponseItemList", body);
    expect(body).toEqual({
      object: "list",
      data: items.data,
      first_id: items.data[0]!.id,
      last_id: items.data[0]!.id,
      has_more: false,
    });
  });

  it("a streamed response is stored too, as its response.completed event carried it", async () => {
    const { alice, raw } = await serve();
    const stream = alice.responses.stream({ model: "deeprecall", input: "When was the Eiffel Tower built?" });
    let completed: unknown;
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      if (event.type === "response.created") expect(storeOf(event.response)).toBe(true);
      if (event.type === "response.completed") completed = event.response;
    }
    const final = await stream.finalResponse();
    expect(storeOf(final)).toBe(true);
    const retrieved = await alice.responses.retrieve(final.id);
    expectOpenAISchema("Response", retrieved);
    expect(retrieved.output_text).toBe(final.output_text);
    expect(retrieved.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    // Byte for byte what the stream's last event carried (the SDK adds its parsed fields to `final`).
    expect(await (await raw(`/v1/responses/${final.id}`)).json()).toEqual(completed);
  });

  it("a stream that fails is stored as failed", async () => {
    const { alice, engine } = await serve();
    // biome-ignore lint/correctness/useYield: fails before its first event, on purpose
    (engine as ScriptedEngine).onStream = async function* () {
      throw new Error("the model fell over");
    };
    const stream = await alice.responses.create({ model: "deeprecall", input: "q", stream: true });
    let id = "";
    // The SDK throws at the stream's `error` event, after response.created named the response.
    const ended = await failure(
      (async () => {
        for await (const event of stream) if (event.type === "response.created") id = event.response.id;
      })(),
    );
    expect(ended.message).toContain("Internal server error");
    const retrieved = await alice.responses.retrieve(id);
    expectOpenAISchema("Response", retrieved);
    expect(retrieved).toMatchObject({ id, status: "failed", store: true, error: { code: "server_error" } });
  });

  it("store: false is answered store: false and is not kept (retrieve, input_items, follow-ups: not found)", async () => {
    const { alice, raw } = await serve();
    const created = await alice.responses.create({ model: "deeprecall", input: "q", store: false });
    expectOpenAISchema("Response", created);
    expect(storeOf(created)).toBe(false);
    const stream = alice.responses.stream({ model: "deeprecall", input: "q", store: false });
    const streamed = await stream.finalResponse();
    expect(storeOf(streamed)).toBe(false);
    for (const id of [created.id, streamed.id]) {
      expect((await failure(alice.responses.retrieve(id))).status).toBe(404);
      await expectError(await raw(`/v1/responses/${id}/input_items`), 404, null, null);
      await expectError(
        await raw("/v1/responses", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "deeprecall", input: "more", previous_response_id: id }),
        }),
        400,
        "previous_response_id",
        "previous_response_not_found",
      );
    }
  });
});

describe("delete and cancel", () => {
  it("delete answers OpenAI's deleted object; afterwards the response is a 404 everywhere", async () => {
    const { alice, raw } = await serve();
    const created = await alice.responses.create({ model: "deeprecall", input: "q" });
    const res = await raw(`/v1/responses/${created.id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    // OpenAI's document gives this answer no schema, only its example: exactly these fields.
    expect(await res.json()).toEqual({ id: created.id, object: "response", deleted: true });
    const gone = await failure(alice.responses.retrieve(created.id));
    expect(gone.status).toBe(404);
    const error = await expectError(await raw(`/v1/responses/${created.id}`), 404, null, null);
    expect(error).toMatchObject({
      message: `Response with id '${created.id}' not found.`,
      type: "invalid_request_error",
    });
    expect((await failure(alice.responses.delete(created.id))).status).toBe(404);
    expect((await failure(alice.responses.inputItems.list(created.id))).status).toBe(404);
  });

  it("the SDK's responses.delete resolves; cancel is a 400 for a stored response, a 404 for an unknown one", async () => {
    const { alice, raw } = await serve();
    const created = await alice.responses.create({ model: "deeprecall", input: "q" });
    const cancel = await failure(alice.responses.cancel(created.id));
    expect(cancel.status).toBe(400);
    const body = await expectError(
      await raw(`/v1/responses/${created.id}/cancel`, { method: "POST" }),
      400,
      null,
      null,
    );
    expect(body.message).toMatch(/background=true/);
    await alice.responses.delete(created.id);
    await expectError(await raw(`/v1/responses/${created.id}/cancel`, { method: "POST" }), 404, null, null);
  });
});

describe("previous_response_id", () => {
  it("the earlier responses' turns reach the engine as history, along the whole chain; echoed in the response", async () => {
    const { alice, engine } = await serve();
    const scripted = engine as ScriptedEngine;
    const first = await alice.responses.create({
      model: "deeprecall",
      instructions: "Be terse.",
      input: [
        { role: "developer", content: "Cite sources." },
        { role: "user", content: "Tell me about bananas." },
      ],
    });
    const second = await alice.responses.create({
      model: "deeprecall",
      previous_response_id: first.id,
      input: "And the tower?",
    });
    expectOpenAISchema("Response", second);
    expect(second.previous_response_id).toBe(first.id);
    expect(storeOf(second)).toBe(true);
    let call = queries(scripted).at(-1)!;
    expect(call.query).toBe("And the tower?");
    expect(call.options.history).toEqual([
      { role: "user", content: "Tell me about bananas." },
      { role: "assistant", content: "Answer to: Tell me about bananas." },
    ]);
    // The developer message is an input item, so it carries on; `instructions` does not (as OpenAI).
    expect(call.options.instructions).toBe("Cite sources.");

    const stream = alice.responses.stream({
      model: "deeprecall",
      previous_response_id: second.id,
      input: [{ role: "user", content: [{ type: "input_text", text: "Which is older?" }] }],
    });
    const third = await stream.finalResponse();
    expect(third.previous_response_id).toBe(second.id);
    call = queries(scripted).at(-1)!;
    expect(call.query).toBe("Which is older?");
    expect(call.options.history).toEqual([
      { role: "user", content: "Tell me about bananas." },
      { role: "assistant", content: "Answer to: Tell me about bananas." },
      { role: "user", content: "And the tower?" },
      { role: "assistant", content: "Answer to: And the tower?" },
    ]);

    // input_items of the third: the whole conversation it was generated from, with the ids OpenAI shows.
    const all: unknown[] = [];
    for await (const item of alice.responses.inputItems.list(third.id, { order: "asc", limit: 2 }))
      all.push(item);
    const firstMessage = first.output.find((o) => o.type === "message")!;
    const secondMessage = second.output.find((o) => o.type === "message")!;
    expect(all).toMatchObject([
      { type: "message", role: "developer", content: [{ type: "input_text", text: "Cite sources." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Tell me about bananas." }] },
      { id: firstMessage.id, type: "message", role: "assistant", status: "completed" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "And the tower?" }] },
      { id: secondMessage.id, type: "message", role: "assistant" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Which is older?" }] },
    ]);
    expect(all[2]).toEqual(firstMessage);
    for (const item of all) expectOpenAISchema("ItemResource", item);
  });

  it("unknown, another key's or combined with conversation: OpenAI's 400s", async () => {
    const { alice, raw } = await serve();
    const post = (body: object, key?: string) =>
      raw("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "deeprecall", input: "q", ...body }),
        ...(key ? { key } : {}),
      });
    const error = await expectError(
      await post({ previous_response_id: "resp_x" }),
      400,
      "previous_response_id",
      "previous_response_not_found",
    );
    expect(error).toEqual({
      message: "Previous response with id 'resp_x' not found.",
      type: "invalid_request_error",
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
    const created = await alice.responses.create({ model: "deeprecall", input: "q" });
    await expectError(
      await post({ previous_response_id: created.id }, KEYS[1]),
      400,
      "previous_response_id",
      "previous_response_not_found",
    );
    await expectError(
      await post({ previous_response_id: created.id, conversation: "conv_1" }),
      400,
      "conversation",
      "unsupported_value",
    );
    expect((await post({ previous_response_id: created.id })).status).toBe(200);
  });

  it("the tool loop: a response that called a function, then its output sent with previous_response_id", async () => {
    const store = new MemoryStore("stored-responses");
    await store.addDocuments({
      documents: ["The Eiffel Tower was built in Paris in 1889."],
      ids: ["eiffel"],
    });
    const replies = Array.from(
      { length: 20 },
      () => (call: { responseFormat?: { type: string } }) =>
        call.responseFormat?.type === "json" ? JSON.stringify({ city: "Paris" }) : "FINAL(Paris.)",
    );
    const engine = new DeepRecallEngine({ vectorStore: store, model: scriptedModel(replies as never) });
    engines.push(engine);
    const seen: Array<{ query: string; options: QueryOptions }> = [];
    const query = engine.query.bind(engine);
    engine.query = (q, options = {}) => {
      seen.push({ query: q, options });
      return query(q, options);
    };
    const { alice, raw } = await serve({}, engine);
    const first = await alice.responses.create({
      model: "deeprecall",
      input: "Where was the tower built?",
      tools: [
        {
          type: "function",
          name: "record_place",
          parameters: {
            type: "object",
            properties: { city: { type: "string" } },
            required: ["city"],
            additionalProperties: false,
          },
          strict: true,
        },
      ],
      tool_choice: { type: "function", name: "record_place" },
    });
    const call = first.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ name: "record_place", arguments: '{"city":"Paris"}' });
    // Its output forgotten: OpenAI's 400, naming the call.
    const missing = await expectError(
      await raw("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "deeprecall", input: "And then?", previous_response_id: first.id }),
      }),
      400,
      "input",
      "invalid_value",
    );
    expect(missing.message).toBe(`No tool output found for function call ${call.call_id}.`);
    const second = await alice.responses.create({
      model: "deeprecall",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"saved":true}' }],
    });
    expectOpenAISchema("Response", second);
    expect(second.output_text).toBe("Paris.");
    const last = seen.at(-1)!;
    expect(last.query).toBe("Where was the tower built?");
    expect(last.options.contextPrefix).toContain("record_place");
    expect(last.options.contextPrefix).toContain('{"saved":true}');
    const items = await alice.responses.inputItems.list(second.id, { order: "asc" });
    expect(items.data.map((i) => i.type)).toEqual(["message", "function_call", "function_call_output"]);
    expect(items.data[1]).toEqual(call);
    for (const item of items.data) expectOpenAISchema("ItemResource", item);
  });

  it("item_reference resolves only among the caller's own stored responses", async () => {
    const { alice, bob, engine } = await serve();
    const first = await alice.responses.create({ model: "deeprecall", input: "Tell me about bananas." });
    const message = first.output.find((o) => o.type === "message")!;
    const input = [
      { role: "user" as const, content: "Tell me about bananas." },
      { type: "item_reference" as const, id: message.id },
      { role: "user" as const, content: "And the tower?" },
    ];
    await bob.responses.create({ model: "deeprecall", input });
    expect(queries(engine as ScriptedEngine).at(-1)!.options.history).toEqual([
      { role: "user", content: "Tell me about bananas." },
    ]);
    const mine = await alice.responses.create({ model: "deeprecall", input });
    expect(queries(engine as ScriptedEngine).at(-1)!.options.history).toEqual([
      { role: "user", content: "Tell me about bananas." },
      { role: "assistant", content: "Answer to: Tell me about bananas." },
    ]);
    // Stored with the item it named, not the reference.
    const items = await alice.responses.inputItems.list(mine.id, { order: "asc" });
    expect(items.data[1]).toEqual(message);
  });
});

describe("scoping by API key", () => {
  it("another key's retrieve, delete, input_items and cancel see 'not found'; the owner still sees it", async () => {
    const { alice, bob, raw } = await serve();
    const created = await alice.responses.create({ model: "deeprecall", input: "q" });
    expect((await failure(bob.responses.retrieve(created.id))).status).toBe(404);
    const error = await expectError(
      await raw(`/v1/responses/${created.id}`, { key: KEYS[1] }),
      404,
      null,
      null,
    );
    expect(error.message).toBe(`Response with id '${created.id}' not found.`);
    expect((await failure(bob.responses.delete(created.id))).status).toBe(404);
    expect((await failure(bob.responses.inputItems.list(created.id))).status).toBe(404);
    expect((await failure(bob.responses.cancel(created.id))).status).toBe(404);
    expect((await alice.responses.retrieve(created.id)).id).toBe(created.id);
  });

  it("without auth every caller shares one scope; with auth the routes need a key", async () => {
    const open = await serve({ apiKeys: [] });
    const created = await open.client("anything").responses.create({ model: "deeprecall", input: "q" });
    expect((await open.client("something-else").responses.retrieve(created.id)).id).toBe(created.id);
    const locked = await serve();
    const made = await locked.alice.responses.create({ model: "deeprecall", input: "q" });
    for (const [path, method] of [
      [`/v1/responses/${made.id}`, "GET"],
      [`/v1/responses/${made.id}`, "DELETE"],
      [`/v1/responses/${made.id}/input_items`, "GET"],
      [`/v1/responses/${made.id}/cancel`, "POST"],
    ] as const) {
      expect((await locked.request(path, { method })).status).toBe(401);
    }
  });
});

describe("input_items paging", () => {
  it("limit, order (desc by default) and after page through the items; bad values are 400s naming the param", async () => {
    const { alice, raw } = await serve();
    const created = await alice.responses.create({
      model: "deeprecall",
      input: ["one", "two", "three", "four", "five"].map((text) => ({
        role: "user" as const,
        content: text,
      })),
    });
    type Page = { data: Array<{ id: string; content?: unknown }>; last_id: string; has_more: boolean };
    const texts = (data: readonly object[]) =>
      data.map((i) => (i as { content: Array<{ text: string }> }).content[0]!.text);
    const list = async (query = "") =>
      (await (await raw(`/v1/responses/${created.id}/input_items${query}`)).json()) as Page;
    const all = await list();
    expect(texts(all.data)).toEqual(["five", "four", "three", "two", "one"]);
    const page1 = await list("?limit=2&order=asc");
    expectOpenAISchema("ResponseItemList", page1);
    expect(texts(page1.data)).toEqual(["one", "two"]);
    expect(page1).toMatchObject({ first_id: page1.data[0]!.id, last_id: page1.data[1]!.id, has_more: true });
    const page2 = await list(`?limit=2&order=asc&after=${page1.last_id}`);
    expect(texts(page2.data)).toEqual(["three", "four"]);
    const page3 = await list(`?limit=2&order=asc&after=${page2.last_id}`);
    expectOpenAISchema("ResponseItemList", page3);
    expect(texts(page3.data)).toEqual(["five"]);
    expect(page3.has_more).toBe(false);
    const desc: string[] = [];
    for await (const item of alice.responses.inputItems.list(created.id, { limit: 2 }))
      desc.push(texts([item])[0]!);
    expect(desc).toEqual(["five", "four", "three", "two", "one"]);

    const bad = (query: string) => raw(`/v1/responses/${created.id}/input_items?${query}`);
    await expectError(await bad("limit=0"), 400, "limit", "integer_below_min_value");
    await expectError(await bad("limit=101"), 400, "limit", "integer_above_max_value");
    await expectError(await bad("limit=many"), 400, "limit", "invalid_type");
    await expectError(await bad("order=up"), 400, "order", "invalid_value");
    await expectError(await bad("after=msg_nope"), 400, "after", "invalid_value");
    await expectError(
      await raw(`/v1/responses/${created.id}?stream=true`),
      400,
      "stream",
      "unsupported_value",
    );
    await expectError(await raw(`/v1/responses/${created.id}?stream=maybe`), 400, "stream", "invalid_value");
  });
});

describe("responseStore option", () => {
  it("false: nothing kept, store: true answered store: false, previous_response_id refused as before", async () => {
    const { alice, raw } = await serve({ responseStore: false });
    const created = await alice.responses.create({ model: "deeprecall", input: "q", store: true });
    expectOpenAISchema("Response", created);
    expect(storeOf(created)).toBe(false);
    expect((await failure(alice.responses.retrieve(created.id))).status).toBe(404);
    await expectError(
      await raw("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "deeprecall", input: "q", previous_response_id: created.id }),
      }),
      400,
      "previous_response_id",
      "unsupported_value",
    );
  });

  it("maxResponses bounds what is kept: the least recently used goes first", async () => {
    const { alice } = await serve({ responseStore: { maxResponses: 2 } });
    const [a, b] = [
      await alice.responses.create({ model: "deeprecall", input: "a" }),
      await alice.responses.create({ model: "deeprecall", input: "b" }),
    ];
    await alice.responses.retrieve(a.id);
    const c = await alice.responses.create({ model: "deeprecall", input: "c" });
    expect((await failure(alice.responses.retrieve(b.id))).status).toBe(404);
    expect((await alice.responses.retrieve(a.id)).id).toBe(a.id);
    expect((await alice.responses.retrieve(c.id)).id).toBe(c.id);
  });

  it("bad bounds are a ConfigError naming the field", () => {
    const engine = new ScriptedEngine();
    for (const [responseStore, field] of [
      [{ maxResponses: 0 }, "responseStore.maxResponses"],
      [{ maxBytes: 1.5 }, "responseStore.maxBytes"],
      [true, "responseStore"],
    ] as const) {
      expect(() => createApp(engine, { responseStore: responseStore as never })).toThrow(
        expect.objectContaining({ field }),
      );
    }
  });

  it("the routes are in the OpenAPI document", async () => {
    const { request } = await serve();
    const doc = (await (await request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths["/v1/responses/{response_id}"]!).sort()).toEqual(["delete", "get"]);
    expect(Object.keys(doc.paths["/v1/responses/{response_id}/input_items"]!)).toEqual(["get"]);
    expect(Object.keys(doc.paths["/v1/responses/{response_id}/cancel"]!)).toEqual(["post"]);
  });
});

describe("hostile and careless clients", () => {
  const post = (s: Awaited<ReturnType<typeof serve>>, body: object, key?: string) =>
    s.raw("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "deeprecall", ...body }),
      ...(key ? { key } : {}),
    });

  it("deeply nested JSON in an input item neither breaks a stream nor fails a finished response", async () => {
    const s = await serve();
    const input = (depth: number) =>
      `[{"role":"user","content":"Tell me about bananas."},{"role":"assistant","content":[{"type":"output_text","text":"Yellow.","annotations":${"[".repeat(depth)}${"]".repeat(depth)}}]},{"role":"user","content":"And the tower?"}]`;
    const send = (stream: boolean, depth: number) =>
      s.raw("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"model":"deeprecall","stream":${stream},"input":${input(depth)}}`,
        // A stream that never ends fails here, not at the test's timeout.
        signal: AbortSignal.timeout(10_000),
      });
    // 100,000 levels (200 kB): JSON.parse takes it, JSON.stringify and structuredClone would
    // overflow the stack; the body parser refuses it first, streamed or not.
    for (const stream of [false, true]) {
      const refused = await send(stream, 100_000);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
    }
    // As deep as a body may be: stored, and its input items are OpenAI's shapes.
    const plain = await send(false, 250);
    expect(plain.status, await plain.clone().text()).toBe(200);
    const created = (await plain.json()) as { id: string };
    const items = await s.alice.responses.inputItems.list(created.id, { order: "asc" });
    for (const item of items.data) expectOpenAISchema("ItemResource", item);

    const streamed = await send(true, 250);
    const text = await streamed.text();
    expect(text).toContain("event: response.completed");
    const id = /"id":"(resp_[^"]+)"/.exec(text)![1]!;
    expect((await s.alice.responses.retrieve(id)).status).toBe("completed");
  });

  it("a response the store cannot write is answered anyway (streamed or not), with a warning", async () => {
    const warnings: string[] = [];
    const s = await serve({
      logger: (entry) => {
        if (entry.level === "warn") warnings.push(entry.message);
      },
    });
    const put = vi.spyOn(ResponseStore.prototype, "put").mockImplementation(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    try {
      const created = await s.alice.responses.create({ model: "deeprecall", input: "q" });
      expect(created.status).toBe("completed");
      const stream = await post(s, { input: "q", stream: true });
      const text = await stream.text();
      expect(text).toContain("event: response.completed");
      expect(text).not.toContain("event: response.failed");
      expect(put).toHaveBeenCalledTimes(2);
    } finally {
      put.mockRestore();
    }
    expect(warnings.filter((w) => w.includes("could not be written"))).toHaveLength(2);
  });

  it("input_items stay schema-valid whatever function_call_output or annotations the client sent", async () => {
    const s = await serve();
    const res = await post(s, {
      input: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: [{ type: "output_text", text: "a", annotations: [{ odd: { deep: [1] } }, 7] }],
        },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: [1, { weird: true }] },
        { type: "function_call", call_id: "c2", name: "f", arguments: "{}" },
        {
          type: "function_call_output",
          call_id: "c2",
          output: [{ type: "input_text", text: "ok", extra: { nested: [1, 2] } }],
        },
      ],
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const items = await s.alice.responses.inputItems.list(id, { order: "asc" });
    expect(items.data).toHaveLength(6);
    for (const item of items.data) expectOpenAISchema("ItemResource", item);
    expect(items.data[5]).toMatchObject({ output: [{ type: "input_text", text: "ok" }] });
  });

  it("a follow-up continues a response whose input had an output for a call it named by an unknown item_reference", async () => {
    const s = await serve();
    const first = await post(s, {
      input: [
        { role: "user", content: "q" },
        { type: "item_reference", id: "fc_evicted" },
        { type: "function_call_output", call_id: "call_1", output: "done" },
      ],
    });
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };
    const next = await post(s, { previous_response_id: id, input: "And then?" });
    expect(next.status, await next.clone().text()).toBe(200);
  });

  it("duplicate item ids are OpenAI's 400, so input_items pages never repeat", async () => {
    const s = await serve();
    const message = (text: string) => ({
      type: "message",
      id: "msg_same",
      role: "user",
      content: [{ type: "input_text", text }],
    });
    const error = await expectError(
      await post(s, { input: [message("one"), message("two")] }),
      400,
      "input",
      "invalid_value",
    );
    expect(error.message).toBe(
      "Duplicate item found with id msg_same. Remove duplicate items from your input and try again.",
    );
    const first = await s.alice.responses.create({ model: "deeprecall", input: [message("one")] as never });
    const answer = first.output.find((o) => o.type === "message")!;
    // An item the earlier conversation already has, sent again (as an item or a reference).
    await expectError(
      await post(s, { previous_response_id: first.id, input: [message("two")] }),
      400,
      "input",
      "invalid_value",
    );
    await expectError(
      await post(s, {
        previous_response_id: first.id,
        input: [
          { type: "item_reference", id: answer.id },
          { role: "user", content: "more" },
        ],
      }),
      400,
      "input",
      "invalid_value",
    );
    // The same reference twice without previous_response_id, too.
    await expectError(
      await post(s, {
        input: [
          { type: "item_reference", id: answer.id },
          { type: "item_reference", id: answer.id },
          { role: "user", content: "more" },
        ],
      }),
      400,
      "input",
      "invalid_value",
    );
  });

  it("a long tool history along a chain is checked in linear time", () => {
    const n = 80_000;
    const previous: unknown[] = [
      { id: "msg_q", type: "message", role: "user", content: [{ type: "input_text", text: "q" }] },
    ];
    for (let i = 0; i < n; i++) {
      previous.push({
        id: `fc_${i}`,
        type: "function_call",
        call_id: `call_${i}`,
        name: "f",
        arguments: "{}",
      });
    }
    for (let i = 0; i < n; i++) {
      previous.push({ id: `fco_${i}`, type: "function_call_output", call_id: `call_${i}`, output: "x" });
    }
    const started = performance.now();
    responseTurn({ input: "next", previous_response_id: "resp_1" } as ResponseRequest, {
      previous: () => previous as ResponseItem[],
    });
    // Linear: tens of ms. Quadratic (a list scanned per output): several seconds.
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it("another key cannot reach a response by an id spelled differently (case, encoding, slashes)", async () => {
    const s = await serve();
    const created = await s.alice.responses.create({ model: "deeprecall", input: "q" });
    const id = created.id;
    for (const path of [
      `/v1/responses/${id}`,
      `/v1/responses/${encodeURIComponent(id).replace("_", "%5F")}`,
      `/v1/responses/${id}/`,
      `/v1/responses/${id.toUpperCase()}`,
      `/v1/responses/${id}%20`,
      `/v1/responses/${id}/input_items`,
      `/v1/responses/${id}/input_items/`,
      `/v1/responses/x/../${id}`,
      `/v1/responses//${id}`,
    ]) {
      for (const method of ["GET", "DELETE"]) {
        const res = await s.raw(path, { method, key: KEYS[1] });
        expect([404, 405], `${method} ${path}`).toContain(res.status);
      }
    }
    // Spelled as stored, encoded or not, the owner gets it; the other key never did.
    expect((await s.raw(`/v1/responses/${id.replace("_", "%5F")}`)).status).toBe(200);
    expect((await s.alice.responses.retrieve(id)).id).toBe(id);
    for (const previous of [id.toUpperCase(), ` ${id}`, `${id}/`])
      expect((await post(s, { input: "q", previous_response_id: previous })).status).toBe(400);
  });

  it("two follow-ups of one response at once fork it; a DELETE during a follow-up does not break it", async () => {
    const s = await serve();
    const engine = s.engine as ScriptedEngine;
    const first = await s.alice.responses.create({ model: "deeprecall", input: "Tell me about bananas." });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answer = engine.onQuery;
    engine.onQuery = async (query, options) => {
      await gate;
      return answer(query, options);
    };
    const a = s.alice.responses.create({ model: "deeprecall", previous_response_id: first.id, input: "A?" });
    const b = s.alice.responses.create({ model: "deeprecall", previous_response_id: first.id, input: "B?" });
    while (queries(engine).length < 3) await new Promise((r) => setTimeout(r, 5));
    await s.alice.responses.delete(first.id);
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.id).not.toBe(rb.id);
    for (const [r, text] of [
      [ra, "A?"],
      [rb, "B?"],
    ] as const) {
      expect(r.previous_response_id).toBe(first.id);
      const items = await s.alice.responses.inputItems.list(r.id, { order: "asc" });
      expect(items.data.map((i) => (i as { role?: string }).role)).toEqual(["user", "assistant", "user"]);
      expect(items.data[2]).toMatchObject({ content: [{ text }] });
    }
    expect((await failure(s.alice.responses.retrieve(first.id))).status).toBe(404);
  });
});
