/**
 * Contract tests: the official `openai` npm client against a real port, every response kind
 * validated against OpenAI's published OpenAPI document (see __fixtures__/openai-schema.ts).
 * The engine is the real DeepRecallEngine over a scripted AI SDK mock model where structured
 * output is involved, else the scripted engine double.
 */
import { DeepRecallEngine, InMemoryCache } from "@deeprecall/core";
import { mockUsage, scriptedModel } from "@deeprecall/test-utils";
import { MockLanguageModelV4 } from "ai/test";
import OpenAI from "openai";
import { zodFunction, zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { expectOpenAISchema, schemaErrors } from "./__fixtures__/openai-schema.ts";
import { MemoryStore, makeResult, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";
import type { CreateAppOptions } from "./types.ts";

const servers: RunningServer[] = [];
const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  while (engines.length) await engines.pop()!.close();
});

async function serve(engine: object, options: CreateAppOptions = {}) {
  const server = await startServer({ app: createApp(engine as ScriptedEngine, options) });
  servers.push(server);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-test", maxRetries: 0 });
  return { server, client, url: server.url };
}

async function scripted(options: CreateAppOptions = {}) {
  const engine = new ScriptedEngine();
  await engine.addDocuments({
    documents: ["The Eiffel Tower was built in Paris in 1889.", "Bananas are yellow."],
    ids: ["eiffel", "banana"],
  });
  return { engine, ...(await serve(engine, options)) };
}

/**
 * The real engine over a mock model: engine turns answer FINAL(answer); a structured-output call
 * (the request asks for JSON) gets `json(call)`. Every model call is recorded.
 */
async function real(answer: string, json: () => unknown, options: CreateAppOptions = {}) {
  const store = new MemoryStore("contract");
  await store.addDocuments({ documents: ["The Eiffel Tower was built in Paris in 1889."], ids: ["eiffel"] });
  const calls: Array<{ json: boolean; schema: unknown }> = [];
  const replies = Array.from(
    { length: 40 },
    () => (call: { responseFormat?: { type: string; schema?: unknown } }) => {
      const isJson = call.responseFormat?.type === "json";
      calls.push({ json: isJson, schema: call.responseFormat?.schema });
      return isJson ? JSON.stringify(json()) : `FINAL(${answer})`;
    },
  );
  const engine = new DeepRecallEngine({ vectorStore: store, model: scriptedModel(replies as never) });
  engines.push(engine);
  return { engine, calls, ...(await serve(engine, options)) };
}

/** The real engine over a model that answers `answer`; records the text of each prompt it gets. */
async function realRecording(answer: string) {
  const store = new MemoryStore("contract-recording");
  await store.addDocuments({ documents: ["The Eiffel Tower was built in Paris in 1889."], ids: ["eiffel"] });
  const calls: string[] = [];
  const replies = Array.from({ length: 10 }, () => (call: { prompt: unknown }) => {
    calls.push(JSON.stringify(call.prompt));
    return `FINAL(${answer})`;
  });
  const engine = new DeepRecallEngine({ vectorStore: store, model: scriptedModel(replies as never) });
  engines.push(engine);
  return { engine, calls, ...(await serve(engine)) };
}

async function rawPost(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

/** Asserts an OpenAI-shaped error (validated against the schema) with status, param and code. */
async function expectError(res: Response, status: number, param: string | null, code: string | null) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as {
    error: { param: string | null; code: string | null; message: string };
  };
  expectOpenAISchema("ErrorResponse", body);
  expect(body.error.param).toBe(param);
  expect(body.error.code).toBe(code);
  return body.error;
}

/** The `data:` JSON payloads of an SSE body, with their `event:` names. */
function sseEvents(text: string): Array<{ event: string | undefined; data: string }> {
  return text
    .split("\n\n")
    .filter((b) => b.includes("data: "))
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))!.slice(6);
      return { event, data };
    });
}

describe("the schema validator catches what it should (so the contract tests can fail)", () => {
  it("rejects a chat completion with system_fingerprint null, a bad finish_reason or a missing field", () => {
    const ok = {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "x", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
    };
    expect(schemaErrors("CreateChatCompletionResponse", ok)).toEqual([]);
    expect(schemaErrors("CreateChatCompletionResponse", { ...ok, system_fingerprint: null })).not.toEqual([]);
    expect(
      schemaErrors("CreateChatCompletionResponse", {
        ...ok,
        choices: [{ ...ok.choices[0], finish_reason: "done" }],
      }),
    ).not.toEqual([]);
    expect(schemaErrors("CreateChatCompletionResponse", { ...ok, id: undefined })).not.toEqual([]);
    expect(
      schemaErrors("ResponseStreamEvent", { type: "response.output_text.delta", delta: "x" }),
    ).not.toEqual([]);
  });
});

describe("the schema validator and discriminators shared by several branches", () => {
  it("an item whose tag several branches share (input and output messages) must match one of them", () => {
    const user = { id: "msg_1", type: "message", role: "user", content: [{ type: "input_text", text: "q" }] };
    expect(schemaErrors("ItemResource", user)).toEqual([]);
    const assistant = {
      id: "msg_2",
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "a", annotations: [], logprobs: [] }],
    };
    expect(schemaErrors("ItemResource", assistant)).toEqual([]);
    expect(schemaErrors("ItemResource", { ...user, role: "robot" })).not.toEqual([]);
    expect(schemaErrors("ItemResource", { ...assistant, content: user.content })).not.toEqual([]);
    expect(schemaErrors("ItemResource", { ...user, id: undefined })).not.toEqual([]);
  });
});

describe("POST /v1/responses", () => {
  it("responses.create: a Response object per OpenAI's schema, with output_text, usage and the deeprecall object", async () => {
    const { client, engine } = await scripted();
    const response = await client.responses.create({
      model: "deeprecall",
      instructions: "Be terse.",
      input: "When was the Eiffel Tower built?",
      temperature: 0.3,
      top_p: 0.9,
      max_output_tokens: 200,
    });
    expectOpenAISchema("Response", response);
    expect(response.object).toBe("response");
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Answer to: When was the Eiffel Tower built?");
    expect(response.usage).toMatchObject({ input_tokens: 120, output_tokens: 30, total_tokens: 150 });
    expect(response.instructions).toBe("Be terse.");
    const ext = (response as unknown as { deeprecall: { sources: Array<{ id: string }> } }).deeprecall;
    expect(ext.sources.map((s) => s.id)).toContain("eiffel");
    const call = engine.calls.find((c) => c.method === "query")!;
    expect(call.query).toBe("When was the Eiffel Tower built?");
    expect(call.options).toMatchObject({ instructions: "Be terse.", temperature: 0.3, maxOutputTokens: 200 });
  });

  it("echoes the request's settings as OpenAI does (reasoning, truncation, verbosity, cache key…), defaults where unset; bad values are 400s", async () => {
    const { client, url } = await scripted();
    const settings = {
      reasoning: { effort: "low", summary: "auto" },
      truncation: "auto",
      prompt_cache_key: "pck-1",
      safety_identifier: "user-hash",
      max_tool_calls: 3,
      top_logprobs: 0,
      parallel_tool_calls: false,
      metadata: { team: "docs" },
    } as const;
    const response = await client.responses.create({
      model: "deeprecall",
      input: "When was the Eiffel Tower built?",
      text: { verbosity: "low" },
      ...settings,
    });
    expectOpenAISchema("Response", response);
    expect(response).toMatchObject({ ...settings, text: { format: { type: "text" }, verbosity: "low" } });
    const plain = await client.responses.create({ model: "deeprecall", input: "q" });
    expectOpenAISchema("Response", plain);
    expect(plain).toMatchObject({
      reasoning: { effort: null, summary: null },
      truncation: "disabled",
      text: { format: { type: "text" }, verbosity: "medium" },
      prompt_cache_key: null,
      safety_identifier: null,
      max_tool_calls: null,
      top_logprobs: 0,
    });
    for (const [extra, param, code] of [
      [{ reasoning: { effort: "huge" } }, "reasoning.effort", "invalid_value"],
      [{ truncation: "middle" }, "truncation", "invalid_value"],
      [{ text: { verbosity: "loud" } }, "text.verbosity", "invalid_value"],
      [{ safety_identifier: "x".repeat(65) }, "safety_identifier", "string_above_max_length"],
    ] as const) {
      await expectError(
        await rawPost(url, "/v1/responses", { model: "deeprecall", input: "q", ...extra }),
        400,
        param,
        code,
      );
    }
  });

  it("takes input as items: system/developer → instructions, earlier turns → history, refusal parts accepted", async () => {
    const { client, engine } = await scripted();
    const response = await client.responses.create({
      model: "deeprecall",
      input: [
        { role: "developer", content: "Cite sources." },
        { role: "user", content: [{ type: "input_text", text: "Tell me about bananas." }] },
        {
          type: "message",
          role: "assistant",
          id: "msg_1",
          status: "completed",
          content: [
            { type: "output_text", text: "They are yellow.", annotations: [] },
            { type: "refusal", refusal: "I won't say more." },
          ],
        },
        { role: "user", content: "And the tower?" },
      ],
    });
    expectOpenAISchema("Response", response);
    const call = engine.calls.find((c) => c.method === "query")!;
    expect(call.query).toBe("And the tower?");
    expect(call.options).toMatchObject({
      instructions: "Cite sources.",
      history: [
        { role: "user", content: "Tell me about bananas." },
        { role: "assistant", content: "They are yellow.\nI won't say more." },
      ],
    });
  });

  it("resolves item_reference to an earlier response's message (the AI SDK's openai provider sends those); skips unknown ones", async () => {
    const { client, engine } = await scripted();
    const first = await client.responses.create({ model: "deeprecall", input: "Tell me about bananas." });
    const message = first.output.find((o) => o.type === "message")!;
    const second = await client.responses.create({
      model: "deeprecall",
      input: [
        { role: "user", content: "Tell me about bananas." },
        { type: "item_reference", id: message.id! },
        { type: "item_reference", id: "msg_unknown" },
        { role: "user", content: "And the tower?" },
      ],
    });
    expectOpenAISchema("Response", second);
    expect(engine.calls.at(-1)!.options?.history).toEqual([
      { role: "user", content: "Tell me about bananas." },
      { role: "assistant", content: "Answer to: Tell me about bananas." },
    ]);
  });

  it("responses.stream: the standard event sequence, each event per OpenAI's schema, reasoning as summary events", async () => {
    const { client } = await scripted();
    const stream = client.responses.stream({
      model: "deeprecall",
      input: "When was the Eiffel Tower built?",
    });
    const events: Array<{ type: string; sequence_number: number }> = [];
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      events.push(event);
    }
    const final = await stream.finalResponse();
    expectOpenAISchema("Response", final);
    expect(final.output_text).toBe("Answer to: When was the Eiffel Tower built?");
    const types = events.map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types.at(-1)).toBe("response.completed");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    // Reasoning first (added, summary part, deltas, done), then the message.
    const order = [
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ];
    const firstOf = order.map((t, k) => types.indexOf(t, k === 0 ? 0 : types.indexOf(order[k - 1]!)));
    expect(firstOf.every((i) => i >= 0)).toBe(true);
    expect([...firstOf].sort((a, b) => a - b)).toEqual(firstOf);
    const summary = final.output.find((o) => o.type === "reasoning");
    expect(JSON.stringify(summary)).toContain("Iteration 1");
    const deltas = events.filter((e) => e.type === "response.output_text.delta") as unknown as Array<{
      delta: string;
    }>;
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.delta).join("")).toBe(final.output_text);
    expect(final.usage?.total_tokens).toBe(150);
  });

  it("streams the real engine's run (its progress as reasoning summary, its answer as output text)", async () => {
    const { client } = await real("Built in Paris in 1889.", () => ({}));
    const stream = client.responses.stream({ model: "deeprecall", input: "When was the tower built?" });
    const types: string[] = [];
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      types.push(event.type);
    }
    const final = await stream.finalResponse();
    expectOpenAISchema("Response", final);
    expect(final.output_text).toBe("Built in Paris in 1889.");
    expect(types).toContain("response.reasoning_summary_text.delta");
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
    expect(final.usage!.total_tokens).toBe(15);
  });

  it("a budget-cut answer is status incomplete (response.incomplete when streaming)", async () => {
    const { client, engine } = await scripted();
    engine.onQuery = async (q) => {
      const r = makeResult(q, "best effort");
      r.budgetStatus = { ...r.budgetStatus, exceeded: true, exceededLimit: "maxIterations" };
      return r;
    };
    const response = await client.responses.create({ model: "deeprecall", input: "q" });
    expectOpenAISchema("Response", response);
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(response.output.find((o) => o.type === "message")).toMatchObject({
      status: "incomplete",
      content: [{ text: "best effort" }],
    });
  });

  it("a failure mid-stream is an error event and response.failed", async () => {
    const { url, engine } = await scripted();
    // biome-ignore lint/correctness/useYield: fails before its first event, on purpose
    engine.onStream = async function* () {
      throw new Error("boom at http://10.0.0.7:8080/v1/chat");
    };
    const res = await rawPost(url, "/v1/responses", { model: "deeprecall", input: "q", stream: true });
    expect(res.status).toBe(200);
    const events = sseEvents(await res.text());
    for (const e of events) expectOpenAISchema("ResponseStreamEvent", JSON.parse(e.data));
    expect(events.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "error",
      "response.failed",
    ]);
    expect(events.map((e) => e.data).join("")).not.toMatch(/10\.0\.0\.7|8080/);
  });

  it("unsupported options are a 400 naming the param; an unknown model a 404 naming the served ids", async () => {
    const { url } = await scripted();
    await expectError(
      await rawPost(url, "/v1/responses", {
        model: "deeprecall",
        input: "q",
        conversation: "conv_1",
      }),
      400,
      "conversation",
      "unsupported_value",
    );
    await expectError(
      await rawPost(url, "/v1/responses", { model: "deeprecall", input: "q", background: true }),
      400,
      "background",
      "unsupported_value",
    );
    await expectError(
      await rawPost(url, "/v1/responses", {
        model: "deeprecall",
        input: [{ role: "user", content: [{ type: "input_image", image_url: "https://x/y.png" }] }],
      }),
      400,
      "input[0].content[0]",
      "unsupported_content",
    );
    const err = await expectError(
      await rawPost(url, "/v1/responses", { model: "gpt-4o", input: "q" }),
      404,
      "model",
      "model_not_found",
    );
    expect(err.message).toContain("deeprecall");
  });

  it("text.format json_schema shapes the answer (zodTextFormat + responses.parse)", async () => {
    const { client, calls } = await real("Paris, in 1889", () => ({ city: "Paris", year: 1889 }));
    const Place = z.object({ city: z.string(), year: z.number().int() });
    const response = await client.responses.parse({
      model: "deeprecall",
      input: "Where and when was the tower built?",
      text: { format: zodTextFormat(Place, "place") },
    });
    expectOpenAISchema("Response", response);
    expect(response.output_parsed).toEqual({ city: "Paris", year: 1889 });
    expect(calls.filter((c) => c.json)).toHaveLength(1);
    expect(response.usage!.total_tokens).toBe(30); // the run's 15 + the structured-output call's 15
  });

  it("function_call_output items after the question reach the model as context", async () => {
    const { client, engine } = await scripted();
    await client.responses.create({
      model: "deeprecall",
      input: [
        { role: "user", content: "When was the Eiffel Tower built?" },
        { type: "function_call", call_id: "call_7", name: "lookup", arguments: '{"q":"eiffel"}' },
        { type: "function_call_output", call_id: "call_7", output: "TOOL-RESULT: 1889" },
      ],
    });
    const call = engine.calls.at(-1)!;
    expect(call.query).toBe("When was the Eiffel Tower built?");
    expect(call.options?.history).toBeUndefined();
    expect(call.options?.contextPrefix).toContain('[tool call] lookup({"q":"eiffel"})');
    expect(call.options?.contextPrefix).toContain("[function output for call_7]\nTOOL-RESULT: 1889");
    // A call sent back without its output, or an output without call_id: 400s, as OpenAI's.
    const { url } = await scripted();
    const fc = { type: "function_call", call_id: "call_8", name: "lookup", arguments: "{}" };
    const noOutput = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: [{ role: "user", content: "q" }, fc],
    });
    await expectError(noOutput, 400, "input", "invalid_value");
    const noId = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: [
        { role: "user", content: "q" },
        { type: "function_call_output", output: "x" },
      ],
    });
    await expectError(noId, 400, "input[1].call_id", "missing_required_parameter");
    // An output for a call the conversation never made.
    const orphan = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: [
        { role: "user", content: "q" },
        { type: "function_call_output", call_id: "call_never_made", output: "x" },
      ],
    });
    await expectError(orphan, 400, "input[1].call_id", "invalid_value");
    const missingInput = await rawPost(url, "/v1/responses", { model: "deeprecall" });
    await expectError(missingInput, 400, "input", "missing_required_parameter");
    // A strict json_schema that breaks OpenAI's strict rules is refused before any engine call.
    const loose = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    const strictChat = await rawPost(url, "/v1/chat/completions", {
      model: "deeprecall",
      messages: [{ role: "user", content: "q" }],
      response_format: { type: "json_schema", json_schema: { name: "person", strict: true, schema: loose } },
    });
    const strictError = await expectError(strictChat, 400, "response_format", "invalid_value");
    expect(strictError.message).toMatch(/'additionalProperties' is required to be supplied and to be false/);
    const strictResponses = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: "q",
      text: { format: { type: "json_schema", name: "person", strict: true, schema: loose } },
    });
    await expectError(strictResponses, 400, "text.format", "invalid_value");
    // So is a strict function tool's, called or not (OpenAI checks every strict tool).
    const strictTool = { name: "lookup", parameters: loose, strict: true };
    const toolChat = await rawPost(url, "/v1/chat/completions", {
      model: "deeprecall",
      messages: [{ role: "user", content: "q" }],
      tools: [
        { type: "function", function: { name: "ok", parameters: loose } },
        { type: "function", function: strictTool },
      ],
    });
    const toolError = await expectError(
      toolChat,
      400,
      "tools[1].function.parameters",
      "invalid_function_parameters",
    );
    expect(toolError.message).toMatch(/^Invalid schema for function 'lookup': In context=\(\)/);
    const toolResponses = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: "q",
      tools: [{ type: "function", ...strictTool }],
      tool_choice: "auto",
    });
    await expectError(toolResponses, 400, "tools[0].parameters", "invalid_function_parameters");
    // JSON nested 20,000 deep (40 KB) in a field the server walks: a 400, not a stack overflow's 500.
    const deep = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    const deepSchema = (depth: number) =>
      JSON.stringify({
        model: "deeprecall",
        messages: [{ role: "user", content: "q" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "x", schema: { type: "object", x: "DEEP" } },
        },
      }).replace('"DEEP"', deep(depth));
    const tooDeep = await expectError(
      await rawPost(url, "/v1/chat/completions", deepSchema(20_000)),
      400,
      null,
      "invalid_json",
    );
    expect(tooDeep.message).toMatch(/nested too deeply: at most 256/);
    const deepCall = JSON.stringify({
      model: "deeprecall",
      input: [
        { role: "user", content: "q" },
        { type: "function_call", call_id: "DEEP", name: "f", arguments: "{}" },
      ],
    }).replace('"DEEP"', deep(20_000));
    await expectError(await rawPost(url, "/v1/responses", deepCall), 400, null, "invalid_json");
    // Deep but within the limit: read and answered like any other body, never a 5xx.
    expect((await rawPost(url, "/v1/chat/completions", deepSchema(250))).status).toBeLessThan(500);
    // OpenAI's limits on metadata, logit_bias and service_tier.
    const chat = { model: "deeprecall", messages: [{ role: "user", content: "q" }] };
    const manyKeys = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expectError(
      await rawPost(url, "/v1/chat/completions", { ...chat, metadata: manyKeys }),
      400,
      "metadata",
      "invalid_value",
    );
    await expectError(
      await rawPost(url, "/v1/responses", {
        model: "deeprecall",
        input: "q",
        metadata: { k: "v".repeat(513) },
      }),
      400,
      "metadata.k",
      "string_above_max_length",
    );
    await expectError(
      await rawPost(url, "/v1/responses", {
        model: "deeprecall",
        input: "q",
        metadata: { ["k".repeat(65)]: "v" },
      }),
      400,
      "metadata",
      "invalid_value",
    );
    await expectError(
      await rawPost(url, "/v1/chat/completions", { ...chat, logit_bias: { "50256": -1000 } }),
      400,
      "logit_bias.50256",
      "integer_below_min_value",
    );
    await expectError(
      await rawPost(url, "/v1/chat/completions", { ...chat, service_tier: "bogus" }),
      400,
      "service_tier",
      "invalid_value",
    );
    const fine = await rawPost(url, "/v1/chat/completions", {
      ...chat,
      metadata: { k0: "v" },
      logit_bias: { "50256": -100 },
      service_tier: "auto",
      store: false,
    });
    expect(fine.status).toBe(200);
    const noSchema = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: "q",
      text: { format: { type: "json_schema", name: "x" } },
    });
    await expectError(noSchema, 400, "text.format.schema", "missing_required_parameter");
    const tiny = await rawPost(url, "/v1/responses", {
      model: "deeprecall",
      input: "q",
      max_output_tokens: 8,
    });
    const tooFew = await expectError(tiny, 400, "max_output_tokens", "integer_below_min_value");
    expect(tooFew.message).toBe(
      "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 8 instead.",
    );
  });

  it("tool_choice naming a function returns that function_call, streamed too", async () => {
    const { client } = await real("Paris, in 1889", () => ({ city: "Paris" }));
    const tools = [
      {
        type: "function" as const,
        name: "record_place",
        description: "Record a place",
        parameters: {
          type: "object",
          properties: { city: { type: "string" } },
          required: ["city"],
          additionalProperties: false,
        },
        strict: true,
      },
    ];
    const response = await client.responses.create({
      model: "deeprecall",
      input: "Where?",
      tools,
      tool_choice: { type: "function", name: "record_place" },
    });
    expectOpenAISchema("Response", response);
    const call = response.output.find((o) => o.type === "function_call")!;
    expect(call).toMatchObject({ name: "record_place", arguments: '{"city":"Paris"}', status: "completed" });
    const stream = client.responses.stream({
      model: "deeprecall",
      input: "Where?",
      tools,
      tool_choice: "required",
    });
    const types: string[] = [];
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      types.push(event.type);
    }
    expect(types).toContain("response.function_call_arguments.done");
    const final = await stream.finalResponse();
    expect(final.output.find((o) => o.type === "function_call")).toMatchObject({
      arguments: '{"city":"Paris"}',
    });
  });
});

describe("POST /v1/completions", () => {
  it("completions.create, plain and streaming, per OpenAI's schemas; stop applied", async () => {
    const { client, engine } = await scripted();
    const completion = await client.completions.create({
      model: "deeprecall",
      prompt: "When was the Eiffel Tower built?",
      max_tokens: 50,
    });
    expectOpenAISchema("CreateCompletionResponse", completion);
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]!.text).toBe("Answer to: When was the Eiffel Tower built?");
    expect(completion.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
    expect(engine.calls.at(-1)!.options).toMatchObject({ maxOutputTokens: 50 });

    const stopped = await client.completions.create({
      model: "deeprecall",
      prompt: "bananas",
      stop: [" to:"],
    });
    expect(stopped.choices[0]!.text).toBe("Answer");
    expect(stopped.choices[0]!.finish_reason).toBe("stop");

    const stream = await client.completions.create({
      model: "deeprecall",
      prompt: "bananas",
      stream: true,
      stream_options: { include_usage: true },
      stop: "ban",
    });
    let text = "";
    let finish: string | null = null;
    let usage: unknown = null;
    for await (const chunk of stream) {
      // OpenAI publishes no schema for completion chunks: they are CreateCompletionResponse
      // with finish_reason null until the last one and usage null unless it is the usage chunk.
      const { usage: chunkUsage, ...rest } = chunk;
      expectOpenAISchema("CreateCompletionResponse", {
        ...rest,
        ...(chunkUsage ? { usage: chunkUsage } : {}),
        choices: chunk.choices.map((c) => ({ ...c, finish_reason: c.finish_reason ?? "stop" })),
      });
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("Answer to: ");
    expect(finish).toBe("stop");
    expect(usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
  });

  it("refuses what it cannot honour with a 400 naming the param", async () => {
    const { url } = await scripted();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ prompt: "q", logprobs: 2 }, "logprobs"],
      [{ prompt: "q", echo: true }, "echo"],
      [{ prompt: "q", n: 2 }, "n"],
      [{ prompt: ["a", "b"] }, "prompt"],
      [{ prompt: [1, 2, 3] }, "prompt"],
    ];
    for (const [body, param] of cases) {
      await expectError(
        await rawPost(url, "/v1/completions", { model: "deeprecall", ...body }),
        400,
        param,
        "unsupported_value",
      );
    }
    await expectError(
      await rawPost(url, "/v1/completions", { model: "deeprecall", prompt: "q", top_p: 7 }),
      400,
      "top_p",
      "decimal_above_max_value",
    );
    await expectError(
      await rawPost(url, "/v1/completions", {
        model: "deeprecall",
        prompt: "q",
        stream_options: { include_usage: true },
      }),
      400,
      "stream_options",
      "invalid_value",
    );
  });
});

describe("POST /v1/embeddings", () => {
  const embed = async (texts: string[]) => texts.map((t) => [t.length, 0.5, -0.25]);

  it("embeddings.create (the client asks for base64 and decodes it) and float, per OpenAI's schema", async () => {
    const { client, url } = await scripted({ embedding: embed, embeddingModelName: "local-embed" });
    const res = await client.embeddings.create({ model: "local-embed", input: ["abc", "hello"] });
    expectOpenAISchema("CreateEmbeddingResponse", res);
    expect(res.data.map((d) => d.embedding)).toEqual([
      [3, 0.5, -0.25],
      [5, 0.5, -0.25],
    ]);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    const raw = await rawPost(url, "/v1/embeddings", {
      model: "local-embed",
      input: "abcd",
      encoding_format: "float",
    });
    const body = (await raw.json()) as { data: Array<{ embedding: number[] }> };
    expectOpenAISchema("CreateEmbeddingResponse", body);
    expect(body.data[0]!.embedding).toEqual([4, 0.5, -0.25]);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["deeprecall", "local-embed"]);
    await expectError(
      await rawPost(url, "/v1/embeddings", { model: "local-embed", input: "x", dimensions: 2 }),
      400,
      "dimensions",
      "unsupported_value",
    );
    await expectError(
      await rawPost(url, "/v1/embeddings", { model: "text-embedding-3-small", input: "x" }),
      404,
      "model",
      "model_not_found",
    );
    await expectError(
      await rawPost(url, "/v1/embeddings", { model: "local-embed", input: [] }),
      400,
      "input",
      "invalid_value",
    );
  });

  it("token-id input (LangChain's OpenAIEmbeddings default) is decoded as cl100k_base and embedded as text", async () => {
    const seen: string[][] = [];
    const { client, url } = await scripted({
      embedding: async (texts: string[]) => {
        seen.push(texts);
        return embed(texts);
      },
      embeddingModelName: "local-embed",
    });
    // cl100k_base: "Hello world" is [9906, 1917]; " café" is [53050].
    const res = await client.embeddings.create({ model: "local-embed", input: [[9906, 1917], [53050]] });
    expectOpenAISchema("CreateEmbeddingResponse", res);
    expect(seen.at(-1)).toEqual(["Hello world", " café"]);
    expect(res.data.map((d) => d.embedding)).toEqual([
      [11, 0.5, -0.25],
      [5, 0.5, -0.25],
    ]);
    // Token-id input is counted exactly: three tokens.
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const flat = await client.embeddings.create({ model: "local-embed", input: [9906, 1917] });
    expect(seen.at(-1)).toEqual(["Hello world"]);
    expect(flat.data).toHaveLength(1);
    await expectError(
      await rawPost(url, "/v1/embeddings", { model: "local-embed", input: [[9906], [1, 2, 1e9]] }),
      400,
      "input[1][2]",
      "invalid_value",
    );
    await expectError(
      await rawPost(url, "/v1/embeddings", { model: "local-embed", input: [9906, -1] }),
      400,
      "input[1]",
      "invalid_value",
    );
  });

  it("without an embedding model: a clear 400", async () => {
    const { url } = await scripted();
    const err = await expectError(
      await rawPost(url, "/v1/embeddings", { model: "deeprecall", input: "x" }),
      400,
      "model",
      "embeddings_not_configured",
    );
    expect(err.message).toMatch(/No embedding model/);
  });
});

describe("chat completions: exact semantics", () => {
  it("no system_fingerprint; every response and chunk per OpenAI's schemas", async () => {
    const { client, url } = await scripted();
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "bananas" }],
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
    expect(completion).not.toHaveProperty("system_fingerprint");
    const res = await rawPost(url, "/v1/chat/completions", {
      model: "deeprecall",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "bananas" }],
    });
    const events = sseEvents(await res.text());
    expect(events.at(-1)!.data).toBe("[DONE]");
    for (const e of events.slice(0, -1)) {
      const chunk = JSON.parse(e.data);
      expect(chunk).not.toHaveProperty("system_fingerprint");
      expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
    }
  });

  it("accepts an assistant turn with a refusal part; applies stop; refuses logprobs and bad ranges", async () => {
    const { client, url, engine } = await scripted();
    await client.chat.completions.create({
      model: "deeprecall",
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't." }] },
        { role: "user", content: "bananas" },
      ],
    });
    expect(engine.calls.at(-1)!.options?.history).toEqual([
      { role: "user", content: "a" },
      { role: "assistant", content: "I can't." },
    ]);
    const stopped = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "bananas" }],
      stop: ["ban", "zzz"],
    });
    expect(stopped.choices[0]!.message.content).toBe("Answer to: ");
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "bananas" }],
      stop: "to:",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Answer ");
    const bad: Array<[Record<string, unknown>, string, string]> = [
      [{ logprobs: true }, "logprobs", "unsupported_value"],
      [{ top_logprobs: 2 }, "top_logprobs", "unsupported_value"],
      [{ top_p: 7 }, "top_p", "decimal_above_max_value"],
      [{ seed: 1.5 }, "seed", "invalid_type"],
      [{ stop: ["a", "b", "c", "d", "e"] }, "stop", "invalid_value"],
      [{ stream_options: { include_usage: true } }, "stream_options", "invalid_value"],
      [{ tool_choice: "required", tools: [] }, "tool_choice", "unsupported_value"],
    ];
    for (const [extra, param, code] of bad) {
      await expectError(
        await rawPost(url, "/v1/chat/completions", {
          model: "deeprecall",
          messages: [{ role: "user", content: "q" }],
          ...extra,
        }),
        400,
        param,
        code,
      );
    }
    const tooMany = await rawPost(url, "/v1/chat/completions", {
      model: "deeprecall",
      messages: [{ role: "user", content: "q" }],
      stop: ["a", "b", "c", "d", "e"],
    });
    expect(((await tooMany.json()) as { error: { message: string } }).error.message).toContain("at most 4");
  });

  it("an answer the model wrote past max_tokens is finish_reason length (Responses: incomplete), not a complete one", async () => {
    const store = new MemoryStore("contract-cut");
    await store.addDocuments({
      documents: ["The Eiffel Tower was built in Paris in 1889."],
      ids: ["eiffel"],
    });
    const caps: Array<number | undefined> = [];
    const model = new MockLanguageModelV4({
      doGenerate: async (call) => {
        caps.push(call.maxOutputTokens);
        // What a backend does at the cap: the text stops mid-FINAL and says why.
        return {
          content: [{ type: "text", text: "FINAL(The Eiffel Tow" }],
          finishReason: { unified: "length", raw: "length" },
          usage: mockUsage(10, 5),
          warnings: [],
        };
      },
    });
    const engine = new DeepRecallEngine({ vectorStore: store, model });
    engines.push(engine);
    const { client } = await serve(engine);
    const chat = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Tell me about the Eiffel Tower." }],
      max_tokens: 5,
    });
    expectOpenAISchema("CreateChatCompletionResponse", chat);
    expect(chat.choices[0]!.message.content).toBe("The Eiffel Tow");
    expect(chat.choices[0]!.finish_reason).toBe("length");
    expect(caps[0]).toBe(5);
    let finish: string | null | undefined;
    for await (const chunk of await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Tell me about the tower." }],
      max_tokens: 5,
      stream: true,
    })) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("length");
    const response = await client.responses.create({
      model: "deeprecall",
      input: "Tell me about the Eiffel Tower, please.",
      max_output_tokens: 16,
    });
    expectOpenAISchema("Response", response);
    expect(response.status).toBe("incomplete");
    expect(response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    // The cut message is incomplete too, with what was written (streamed: the same item).
    const message = response.output.find((o) => o.type === "message")!;
    expect(message).toMatchObject({ status: "incomplete", content: [{ text: "The Eiffel Tow" }] });
    const stream = client.responses.stream({
      model: "deeprecall",
      input: "The Eiffel Tower, again.",
      max_output_tokens: 16,
    });
    const done: unknown[] = [];
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      if (event.type === "response.output_item.done" && event.item.type === "message") done.push(event.item);
    }
    expect(done).toEqual([expect.objectContaining({ status: "incomplete" })]);
    const final = await stream.finalResponse();
    expect(final.output.find((o) => o.type === "message")).toMatchObject({ status: "incomplete" });
  });

  it("an unknown model is a 404 model_not_found naming the served ids (and the SDK's NotFoundError)", async () => {
    const { client } = await scripted({ modelName: "dr" });
    const err = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.NotFoundError>;
    expect(e.code).toBe("model_not_found");
    expect(e.param).toBe("model");
    expect(e.message).toContain("This server serves: dr.");
  });

  it("chat.completions.parse with a zod schema: the engine answers, one structured-output call shapes it", async () => {
    const { client, calls } = await real("Paris, in 1889", () => ({ city: "Paris", year: 1889 }));
    const Place = z.object({ city: z.string(), year: z.number().int() });
    const completion = await client.chat.completions.parse({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when was the tower built?" }],
      response_format: zodResponseFormat(Place, "place"),
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
    expect(completion.choices[0]!.message.parsed).toEqual({ city: "Paris", year: 1889 });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    const jsonCalls = calls.filter((c) => c.json);
    expect(jsonCalls).toHaveLength(1);
    expect(jsonCalls[0]!.schema).toMatchObject({ properties: { city: { type: "string" } } });
    // The test-utils mock reports 0 cache-read and 0 reasoning tokens: measured, so passed on.
    expect(completion.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 10,
      total_tokens: 30,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("a budget-cut run with a shaped answer: finish_reason stop and status completed, so parse() keeps the whole JSON", async () => {
    const store = new MemoryStore("contract-cut");
    await store.addDocuments({
      documents: ["The Eiffel Tower was built in Paris in 1889."],
      ids: ["eiffel"],
    });
    // The model never answers FINAL: the iteration budget ends the run, then the shaping call runs.
    const replies = Array.from(
      { length: 20 },
      () => (call: { responseFormat?: { type: string } }) =>
        call.responseFormat?.type === "json"
          ? JSON.stringify({ city: "Paris", year: 1889 })
          : "Still looking.",
    );
    const engine = new DeepRecallEngine({ vectorStore: store, model: scriptedModel(replies as never) });
    engines.push(engine);
    const { client } = await serve(engine);
    const Place = z.object({ city: z.string(), year: z.number().int() });
    const budget = { deeprecall: { budget: { max_iterations: 1 } } };
    const completion = await client.chat.completions.parse({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when was the tower built?" }],
      response_format: zodResponseFormat(Place, "place"),
      ...budget,
    });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.choices[0]!.message.parsed).toEqual({ city: "Paris", year: 1889 });
    const ext = (completion as unknown as { deeprecall: { budget_status: { exceeded_limit: string } } })
      .deeprecall;
    expect(ext.budget_status.exceeded_limit).toBe("max_iterations");
    const response = await client.responses.parse({
      model: "deeprecall",
      input: "Where and when was the tower built?",
      text: { format: zodTextFormat(Place, "place") },
      ...budget,
    });
    expectOpenAISchema("Response", response);
    expect(response.status).toBe("completed");
    expect(response.output_parsed).toEqual({ city: "Paris", year: 1889 });
  });

  /** A strict json_schema format for {city}: the tests' model answers {town} instead. */
  const STRICT_PLACE = {
    type: "json_schema" as const,
    json_schema: {
      name: "place",
      strict: true,
      schema: {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      },
    },
  };

  it("a structured answer that does not match the schema is asked for again, then a 502 (never prose with a 200)", async () => {
    const { url, calls } = await real("Paris", () => ({ town: "Paris" }));
    const res = await rawPost(url, "/v1/chat/completions", {
      model: "deeprecall",
      messages: [{ role: "user", content: "Where?" }],
      response_format: STRICT_PLACE,
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expectOpenAISchema("ErrorResponse", await res.json());
    expect(calls.filter((c) => c.json)).toHaveLength(2);
    // The official client, with its default retries, does not run the whole query again.
    const retrying = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test" });
    const failure = await retrying.chat.completions
      .create({
        model: "deeprecall",
        messages: [{ role: "user", content: "Where?" }],
        response_format: STRICT_PLACE,
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(calls.filter((c) => c.json)).toHaveLength(4);
  });

  it("a non-strict json_schema guides: after the retry, the JSON the model wrote is the answer (as OpenAI, no match guaranteed)", async () => {
    const { url, calls } = await real("Paris", () => ({ town: "Paris" }));
    const lenient = { ...STRICT_PLACE, json_schema: { ...STRICT_PLACE.json_schema, strict: false } };
    const { strict: _, ...unset } = STRICT_PLACE.json_schema;
    for (const format of [lenient, { ...STRICT_PLACE, json_schema: unset }]) {
      const res = await rawPost(url, "/v1/chat/completions", {
        model: "deeprecall",
        messages: [{ role: "user", content: "Where?" }],
        response_format: format,
      });
      expect(res.status).toBe(200);
      const completion = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      expectOpenAISchema("CreateChatCompletionResponse", completion);
      expect(JSON.parse(completion.choices[0]!.message.content)).toEqual({ town: "Paris" });
    }
    // Still asked for a match first: two structured-output calls per request.
    expect(calls.filter((c) => c.json)).toHaveLength(4);
  });

  it("json_object and streaming json_schema: the content is the shaped JSON", async () => {
    const { client } = await real("Paris", () => ({ city: "Paris" }));
    const obj = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where? Answer in JSON." }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toEqual({ city: "Paris" });
    const stream = client.chat.completions.stream({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where?" }],
      response_format: zodResponseFormat(z.object({ city: z.string() }), "place"),
    });
    for await (const chunk of stream) expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.parsed).toEqual({ city: "Paris" });
  });

  it("tool_choice naming a function (or required with one tool) → that tool call, finish_reason tool_calls; auto/none ignore tools", async () => {
    const { client } = await real("Paris, in 1889", () => ({ city: "Paris", year: 1889 }));
    const tool = zodFunction({
      name: "record_place",
      parameters: z.object({ city: z.string(), year: z.number().int() }),
    });
    const forced = await client.chat.completions.parse({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when?" }],
      tools: [tool],
      tool_choice: { type: "function", function: { name: "record_place" } },
    });
    expectOpenAISchema("CreateChatCompletionResponse", forced);
    const choice = forced.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls![0]).toMatchObject({
      type: "function",
      function: { name: "record_place", parsed_arguments: { city: "Paris", year: 1889 } },
    });
    const required = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when?" }],
      tools: [tool],
      tool_choice: "required",
    });
    expect(required.choices[0]!.finish_reason).toBe("tool_calls");
    const auto = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when?" }],
      tools: [tool],
      tool_choice: "auto",
    });
    expect(auto.choices[0]!.finish_reason).toBe("stop");
    expect(auto.choices[0]!.message.content).toBe("Paris, in 1889");

    const stream = client.chat.completions.stream({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where and when?" }],
      tools: [tool],
      tool_choice: { type: "function", function: { name: "record_place" } },
    });
    for await (const chunk of stream) expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    // The role chunk of a tool-call stream has null content, as OpenAI's: so does the message.
    expect(final.choices[0]!.message.content).toBeNull();
    expect(final.choices[0]!.message.tool_calls![0]).toMatchObject({
      function: { arguments: '{"city":"Paris","year":1889}' },
    });
  });

  it("the tool loop's next turn: the results sent back for its tool calls reach the model with the question", async () => {
    const { client, engine } = await scripted();
    await client.chat.completions.create({
      model: "deeprecall",
      messages: [
        { role: "user", content: "When was the Eiffel Tower built?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"eiffel"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "TOOL-RESULT: finished in March 1889" },
      ],
    });
    const call = engine.calls.at(-1)!;
    expect(call.query).toBe("When was the Eiffel Tower built?");
    expect(call.options?.history).toBeUndefined();
    const context = call.options?.contextPrefix ?? "";
    expect(context).toContain('"name":"lookup"');
    expect(context).toContain("[tool output for call_1]\nTOOL-RESULT: finished in March 1889");

    // The real engine: the model's first prompt holds the result, after the question's context.
    const { client: realClient, calls } = await realRecording("It was finished in March 1889.");
    await realClient.chat.completions.create({
      model: "deeprecall",
      messages: [
        { role: "user", content: "When was the Eiffel Tower finished?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c9", type: "function", function: { name: "lookup", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c9", content: "TOOL-RESULT-QQQ" },
      ],
    });
    expect(calls[0]).toContain("TOOL-RESULT-QQQ");
    expect(calls[0]).toContain("When was the Eiffel Tower finished?");
  });

  it("tool turns that do not pair up are a 400, as OpenAI answers them", async () => {
    const { url } = await scripted();
    const call = { id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } };
    const cases: Array<[unknown[], string, string]> = [
      [
        [
          { role: "user", content: "q" },
          { role: "tool", content: "x" },
        ],
        "messages[1].tool_call_id",
        "missing_required_parameter",
      ],
      [
        [
          { role: "user", content: "q" },
          { role: "tool", tool_call_id: "zz", content: "x" },
        ],
        "messages[1].role",
        "invalid_value",
      ],
      [
        [
          { role: "user", content: "q" },
          { role: "assistant", tool_calls: [call] },
          { role: "user", content: "q2" },
        ],
        "messages[1].role",
        "invalid_value",
      ],
    ];
    for (const [messages, param, code] of cases) {
      await expectError(
        await rawPost(url, "/v1/chat/completions", { model: "deeprecall", messages }),
        400,
        param,
        code,
      );
    }
  });

  it("tool_choice that cannot be honoured → 400 naming the param", async () => {
    const { url } = await real("x", () => ({}));
    const fn = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ tools: [fn("a"), fn("b")], tool_choice: "required" }, "tool_choice", "unsupported_value"],
      // Not one of OpenAI's values at all: invalid, not unsupported.
      [{ tools: [fn("a")], tool_choice: "sometimes" }, "tool_choice", "invalid_value"],
      [
        { tools: [fn("a")], tool_choice: { type: "function", function: { name: "zzz" } } },
        "tool_choice",
        "invalid_value",
      ],
      [
        { tools: [fn("a")], tool_choice: { type: "allowed_tools", allowed_tools: {} } },
        "tool_choice",
        "unsupported_value",
      ],
      [
        { tools: [{ type: "custom", custom: { name: "c" } }], tool_choice: "required" },
        "tools",
        "unsupported_value",
      ],
      [{ functions: [{ name: "a" }], function_call: { name: "a" } }, "function_call", "unsupported_value"],
      [
        {
          response_format: {
            type: "json_schema",
            json_schema: { name: "x", schema: { $ref: "#/$defs/missing" } },
          },
        },
        "response_format.json_schema.schema",
        "invalid_value",
      ],
      [
        {
          response_format: {
            type: "json_schema",
            json_schema: { name: "x", schema: { $ref: "https://e.x/s.json" } },
          },
        },
        "response_format.json_schema.schema",
        "unsupported_value",
      ],
    ];
    for (const [extra, param, code] of cases) {
      await expectError(
        await rawPost(url, "/v1/chat/completions", {
          model: "deeprecall",
          messages: [{ role: "user", content: "q" }],
          ...extra,
        }),
        400,
        param,
        code,
      );
    }
  });
});

/**
 * The real engine over a model whose every call reports 10 input / 5 output tokens and, when
 * `details`, 6 of the input read from the provider's cache and 3 of the output spent reasoning.
 * JSON-mode calls (structured output) answer `{"city":"Paris"}`; the answer cache is on.
 */
async function reportingUsage(details: boolean) {
  const store = new MemoryStore("contract-usage");
  await store.addDocuments({ documents: ["The Eiffel Tower was built in Paris in 1889."], ids: ["eiffel"] });
  const model = new MockLanguageModelV4({
    doGenerate: async (call) => ({
      content: [
        {
          type: "text",
          text: call.responseFormat?.type === "json" ? '{"city":"Paris"}' : "FINAL(Paris, 1889.)",
        },
      ],
      finishReason: { unified: "stop", raw: "stop" },
      usage: details
        ? {
            inputTokens: { total: 10, noCache: 4, cacheRead: 6, cacheWrite: undefined },
            outputTokens: { total: 5, text: 2, reasoning: 3 },
          }
        : {
            inputTokens: { total: 10, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: 5, text: undefined, reasoning: undefined },
          },
      warnings: [],
    }),
  });
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model,
    cache: new InMemoryCache(),
    cacheAnswers: true,
  });
  engines.push(engine);
  return serve(engine);
}

/** What `reportingUsage(true)`'s backend reports for one call, as chat/completions usage. */
const REPORTED_USAGE = {
  prompt_tokens: 10,
  completion_tokens: 5,
  total_tokens: 15,
  prompt_tokens_details: { cached_tokens: 6 },
  completion_tokens_details: { reasoning_tokens: 3 },
};

describe("usage: cached and reasoning tokens", () => {
  it("chat, completions and responses report the provider's cache-read and reasoning tokens", async () => {
    const { client } = await reportingUsage(true);
    const chat = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where was the tower built?" }],
    });
    expectOpenAISchema("CreateChatCompletionResponse", chat);
    expect(chat.usage).toEqual(REPORTED_USAGE);

    let streamed: unknown = null;
    for await (const chunk of await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where was the tower built, streamed?" }],
      stream: true,
      stream_options: { include_usage: true },
    })) {
      expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
      if (chunk.usage) streamed = chunk.usage;
    }
    expect(streamed).toMatchObject({
      prompt_tokens_details: { cached_tokens: 6 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });

    const completion = await client.completions.create({ model: "deeprecall", prompt: "When was it built?" });
    expectOpenAISchema("CreateCompletionResponse", completion);
    expect(completion.usage).toMatchObject({
      prompt_tokens_details: { cached_tokens: 6 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });

    const response = await client.responses.create({
      model: "deeprecall",
      input: "Which city has the tower?",
    });
    expectOpenAISchema("Response", response);
    expect(response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 6, cache_write_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 15,
    });
  });

  it("the structured-output call's tokens add in; a cache hit spent nothing (the run's usage stays in deeprecall)", async () => {
    const { client } = await reportingUsage(true);
    const parsed = await client.chat.completions.parse({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where is the tower?" }],
      response_format: zodResponseFormat(z.object({ city: z.string() }), "place"),
    });
    expectOpenAISchema("CreateChatCompletionResponse", parsed);
    expect(parsed.choices[0]!.message.parsed).toEqual({ city: "Paris" });
    expect(parsed.usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 10,
      total_tokens: 30,
      prompt_tokens_details: { cached_tokens: 12 },
      completion_tokens_details: { reasoning_tokens: 6 },
    });

    const ask = () =>
      client.chat.completions.create({
        model: "deeprecall",
        messages: [{ role: "user", content: "Who built the tower?" }],
      });
    await ask();
    const hit = (await ask()) as Awaited<ReturnType<typeof ask>> & {
      deeprecall: { cached: boolean; cached_usage: unknown };
    };
    expectOpenAISchema("CreateChatCompletionResponse", hit);
    expect(hit.deeprecall.cached).toBe(true);
    expect(hit.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(hit.deeprecall.cached_usage).toEqual(REPORTED_USAGE);
  });

  it("a provider that reports neither: chat and completions leave the details out, responses says 0", async () => {
    const { client } = await reportingUsage(false);
    const chat = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Where was the tower built?" }],
    });
    expectOpenAISchema("CreateChatCompletionResponse", chat);
    expect(chat.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    const completion = await client.completions.create({ model: "deeprecall", prompt: "When was it built?" });
    expectOpenAISchema("CreateCompletionResponse", completion);
    expect(completion.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    const response = await client.responses.create({
      model: "deeprecall",
      input: "Which city has the tower?",
    });
    expectOpenAISchema("Response", response);
    expect(response.usage).toMatchObject({
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    });
  });
});

describe("bodies, documents and errors", () => {
  it("invalid UTF-8 → 400 and nothing stored", async () => {
    const { url, engine } = await scripted();
    const before = await engine.vectorStore.count();
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"documents":["caf'),
      0xc3,
      0x28,
      ...new TextEncoder().encode('"]}'),
    ]);
    await expectError(await rawPost(url, "/v1/documents", bytes), 400, null, "invalid_encoding");
    expect(await engine.vectorStore.count()).toBe(before);
    const ok = await rawPost(url, "/v1/documents", { documents: ["café ☕"], ids: ["cafe"] });
    expect(ok.status).toBe(200);
    expect(engine.vectorStore.docs.get("cafe")!.content).toBe("café ☕");
  });

  it("a model-backend failure never shows the backend's URL or host", async () => {
    const { url, engine } = await scripted();
    const { LLMProviderError } = await import("@deeprecall/core");
    engine.onQuery = async () => {
      throw new LLMProviderError(
        "Cannot connect to API: connect ECONNREFUSED 10.1.2.3:11434 (https://llm.internal.corp:8443/v1/chat/completions, ollama.internal:11434)",
      );
    };
    const res = await rawPost(url, "/v1/chat/completions", { messages: [{ role: "user", content: "q" }] });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toMatch(/10\.1\.2\.3|11434|llm\.internal|8443|https?:\/\/|ollama\.internal/);
    expect(text).toContain("ECONNREFUSED");
  });
});
