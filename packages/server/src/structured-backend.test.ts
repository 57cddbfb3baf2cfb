import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { DeepRecallEngine } from "@deeprecall/core";
import { LocalStore } from "@deeprecall/vectorstore-local";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";

// Structured output through a backend reached as `deeprecall serve --backend openai-compatible`
// reaches Ollama, vLLM or LM Studio: @ai-sdk/openai-compatible sends such a backend
// `response_format: {"type": "json_object"}` without the schema, so the schema must be in the
// prompt or the model can only guess the fields. The backend here is a plain HTTP double that,
// like a real model, can only follow what it is sent.

interface BackendRequest {
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string };
  stream?: boolean;
}

const SCHEMA_MARK = "must match this JSON Schema.";

/** The JSON Schema the request's text shows the model (after SCHEMA_MARK and its description line). */
function schemaInPrompt(text: string): { properties?: Record<string, { type?: string }> } | undefined {
  const at = text.indexOf(SCHEMA_MARK);
  if (at === -1) return undefined;
  const start = text.indexOf("\n{", at);
  let depth = 0;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return JSON.parse(text.slice(start + 1, i + 1));
  }
  return undefined;
}

/** A JSON reply with one value per property of the schema it was shown, else a guess. */
function jsonReply(text: string): string {
  const schema = schemaInPrompt(text);
  if (!schema) return JSON.stringify({ answer: "Paris" });
  const value: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {}))
    value[key] = prop.type === "integer" || prop.type === "number" ? 1 : "Paris";
  return JSON.stringify(value);
}

let backend: Server;
let server: RunningServer;
let engine: DeepRecallEngine;
let dir: string;
const requests: BackendRequest[] = [];

beforeAll(async () => {
  backend = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as BackendRequest;
    requests.push(body);
    const text = body.messages.map((m) => m.content).join("\n");
    const content = body.response_format ? jsonReply(text) : "FINAL(Paris is the capital of France.)";
    const base = { id: "chatcmpl-backend", created: 0, model: "backend" };
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    if (!body.stream) {
      res.setHeader("content-type", "application/json");
      const choice = { index: 0, message: { role: "assistant", content }, finish_reason: "stop" };
      res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [choice], usage }));
      return;
    }
    res.setHeader("content-type", "text/event-stream");
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], usage: finish ? usage : null })}\n\n`;
    res.end(`${chunk({ role: "assistant", content }, null)}${chunk({}, "stop")}data: [DONE]\n\n`);
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const port = (backend.address() as AddressInfo).port;
  const provider = createOpenAICompatible({ name: "backend", baseURL: `http://127.0.0.1:${port}/v1` });
  dir = await mkdtemp(join(tmpdir(), "deeprecall-structured-"));
  engine = new DeepRecallEngine({
    vectorStore: new LocalStore({ directory: dir }),
    model: provider.chatModel("backend"),
  });
  server = await startServer({ app: createApp(engine) });
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await new Promise((resolve) => backend?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const client = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
const question = [{ role: "user" as const, content: "What is the capital of France?" }];

describe("structured output through an OpenAI-compatible backend (schema only in the prompt)", () => {
  it("chat.completions.parse with a zod schema gets the schema's fields", async () => {
    const City = z.object({ city: z.string(), population: z.number() });
    const completion = await client().chat.completions.parse({
      model: "deeprecall",
      messages: question,
      response_format: zodResponseFormat(City, "city_facts"),
    });
    expect(completion.choices[0]!.message.parsed).toEqual({ city: "Paris", population: 1 });
    // The structured-output call was sent json_object (no schema field): the prompt carried it.
    expect(requests.at(-1)!.response_format).toEqual({ type: "json_object" });
  });

  it("a forced tool call gets arguments in the function's parameters schema", async () => {
    const completion = await client().chat.completions.create({
      model: "deeprecall",
      messages: question,
      tools: [
        {
          type: "function",
          function: {
            name: "record_capital",
            parameters: {
              type: "object",
              properties: { capital: { type: "string" } },
              required: ["capital"],
              additionalProperties: false,
            },
            strict: true,
          },
        },
      ],
      tool_choice: { type: "function", function: { name: "record_capital" } },
    });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ capital: "Paris" });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
  });

  it("the task model honours a json_schema response_format in one call", async () => {
    const before = requests.length;
    const completion = await client().chat.completions.create({
      model: "deeprecall-task",
      messages: [{ role: "user", content: "Title for: the capital of France" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "title",
          strict: true,
          schema: {
            type: "object",
            properties: { title: { type: "string" } },
            required: ["title"],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ title: "Paris" });
    expect(requests.length - before).toBe(1);
  });
});
