/**
 * Chat UIs as clients (issue 13): the request shapes Open WebUI and LibreChat send, replayed
 * against a served real DeepRecallEngine with a counting model double and a counting store.
 */
import { DeepRecallEngine, InMemoryCache, type ListOptions, type ListPage } from "@deeprecall/core";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { expectOpenAISchema } from "./__fixtures__/openai-schema.ts";
import { MemoryStore } from "./__fixtures__/scripted-engine.ts";
import { dataOf, SseReader } from "./__fixtures__/sse.ts";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";
import { isHousekeeping } from "./task.ts";
import type { CreateAppOptions, ServerLogEntry } from "./types.ts";

class CountingStore extends MemoryStore {
  searches = 0;
  override async search(...args: Parameters<MemoryStore["search"]>) {
    this.searches++;
    return super.search(...args);
  }
  /** Pages of 2, so a lookup by id walks the pages. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    const all = [...this.docs].map(([id, d]) => ({ id, content: d.content, metadata: d.metadata }));
    const from = Number(options.cursor ?? 0);
    const to = from + Math.min(options.limit ?? 100, 2);
    return { documents: all.slice(from, to), nextCursor: to < all.length ? String(to) : null };
  }
}

// Response JSON as the tests read it (shapes are checked against OpenAI's schemas).
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON in assertions
type Json = Record<string, any>;

/** What the tests read of a model call's options (AI SDK LanguageModelV4CallOptions). */
interface LanguageModelV4CallOptions {
  prompt: unknown;
  abortSignal?: AbortSignal;
  maxOutputTokens?: number;
  temperature?: number;
  stopSequences?: string[];
  responseFormat?: unknown;
}

type Reply = string | Error | { text: string; delayMs?: number; waitForAbort?: boolean };

/** A streaming model double that counts its calls and answers by what the prompt asks. */
function countingModel(reply: (prompt: string, call: LanguageModelV4CallOptions) => Reply) {
  const calls: Array<{ prompt: string; options: LanguageModelV4CallOptions }> = [];
  const model = new MockLanguageModelV4({
    modelId: "counting",
    doStream: async (callOptions) => {
      const options = callOptions as LanguageModelV4CallOptions;
      const prompt = JSON.stringify(options.prompt);
      calls.push({ prompt, options });
      const r = reply(prompt, options);
      if (r instanceof Error) throw r;
      const { text, delayMs = 0, waitForAbort = false } = typeof r === "string" ? { text: r } : r;
      if (waitForAbort) {
        await new Promise<void>((_, reject) => {
          const signal = options.abortSignal!;
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      }
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const pieces = text.match(/[\s\S]{1,8}/g) ?? [];
      const parts = [
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t" },
        ...pieces.map((delta) => ({ type: "text-delta" as const, id: "t", delta })),
        { type: "text-end", id: "t" },
        {
          type: "finish",
          finishReason: { unified: "stop", raw: "stop" },
          usage: {
            inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 5, text: 5, reasoning: 0 },
          },
        },
      ];
      return { stream: convertArrayToReadableStream(parts as never[]) };
    },
  });
  return { model, calls };
}

const TITLE_JSON = '{"title": "📚 Acme Founding History"}';
const TAGS_JSON = '{"tags": ["Business", "History"]}';
const FOLLOW_UPS_JSON = '{"follow_ups": ["Where was Jane Doe born?", "What does Acme make?"]}';
const ANSWER = "Acme was founded by Jane Doe in 1999 [1]. She was born in Lyon [2].";

/** Answers housekeeping prompts with their JSON, everything else (the engine's root turn) with FINAL. */
function defaultReply(prompt: string): Reply {
  if (prompt.includes("3-5 word title")) return TITLE_JSON;
  if (prompt.includes("broad tags")) return TAGS_JSON;
  if (prompt.includes("follow-up questions")) return FOLLOW_UPS_JSON;
  if (prompt.includes("5-word-or-less title")) return "Acme Founding History";
  return `FINAL(${ANSWER})`;
}

const servers: RunningServer[] = [];
const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function serve(
  options: CreateAppOptions = {},
  reply: (prompt: string, call: LanguageModelV4CallOptions) => Reply = defaultReply,
) {
  const store = new CountingStore("docs");
  await store.addDocuments({
    ids: ["acme", "jane", "weather"],
    documents: [
      "Acme Corporation was founded by Jane Doe in 1999.",
      "Jane Doe was born in Lyon, France.",
      "The weather in Paris is mild in spring.",
    ],
    metadatas: [
      { source: "notes/acme.txt" },
      { title: "Jane Doe", url: "https://example.com/jane" },
      { source: "weather.txt" },
    ],
  });
  store.searches = 0;
  const { model, calls } = countingModel(reply);
  // The CLI's defaults: a search cache, answers not cached.
  const engine = new DeepRecallEngine({ vectorStore: store, model, cache: new InMemoryCache() });
  engines.push(engine);
  const server = await startServer({ app: createApp(engine, options) });
  servers.push(server);
  const post = (body: unknown) =>
    fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
  return { store, calls, engine, server, post, client };
}

/** Open WebUI's task prompts (shapes of its default templates): one user message, `### Task:` first. */
const chatHistory =
  "<chat_history>\nUSER: Who founded Acme?\nASSISTANT: Acme was founded by Jane Doe in 1999 [1].\n</chat_history>";
const OPEN_WEBUI_TASKS = {
  title: `### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n### Guidelines:\n- The title should clearly represent the main theme or subject of the conversation.\n- Avoid quotation marks or special formatting.\n### Output:\nJSON format: { "title": "your concise title here" }\n### Chat History:\n${chatHistory}`,
  tags: `### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history, along with 1-3 more specific subtopic tags.\n### Output:\nJSON format: { "tags": ["tag1", "tag2", "tag3"] }\n### Chat History:\n${chatHistory}`,
  followUps: `### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation, based on the chat history.\n### Output:\nJSON format: { "follow_ups": ["Question 1?", "Question 2?"] }\n### Chat History:\n${chatHistory}`,
};

function someTools(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    type: "function",
    function: {
      name: `tool_${i}`,
      description: `Tool number ${i}`,
      parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
    },
  }));
}

async function readStream(response: Response) {
  const reader = new SseReader(response.body!);
  const blocks = await reader.rest();
  const chunks = blocks.filter((b) => b.startsWith("data: ")).map(dataOf);
  const objects = chunks.filter((c): c is Json => typeof c === "object");
  const deltas = objects.flatMap((c) =>
    (c.choices ?? []).map((ch: { delta: Record<string, unknown> }) => ch.delta),
  );
  return {
    chunks,
    objects,
    content: deltas.map((d) => (typeof d.content === "string" ? d.content : "")).join(""),
    reasoning: deltas
      .map((d) => (typeof d.reasoning_content === "string" ? d.reasoning_content : ""))
      .join(""),
    annotations: deltas.flatMap((d) => (Array.isArray(d.annotations) ? d.annotations : [])),
  };
}

describe("Open WebUI housekeeping requests go to the task model", () => {
  for (const [name, prompt] of Object.entries(OPEN_WEBUI_TASKS)) {
    it(`${name}: 1 model call, 0 searches, the model's own JSON (sent to the chat model, not streamed)`, async () => {
      const { post, calls, store } = await serve();
      const response = await post({
        model: "deeprecall",
        stream: false,
        messages: [{ role: "user", content: prompt }],
      });
      expect(response.status).toBe(200);
      const json = (await response.json()) as Json;
      expectOpenAISchema("CreateChatCompletionResponse", json);
      expect(calls).toHaveLength(1);
      expect(store.searches).toBe(0);
      const content = json.choices[0].message.content as string;
      expect(() => JSON.parse(content)).not.toThrow();
      expect(content).toBe(defaultReply(prompt));
      expect(json.model).toBe("deeprecall");
      // The prompt went to the model as it was: no retrieval prompt around it.
      expect(calls[0]!.prompt).toContain("### Task:");
      expect(calls[0]!.prompt).not.toContain("searchDb");
    });
  }

  it("streamed task requests: 1 model call, 0 searches, content streamed, no reasoning", async () => {
    const { post, calls, store } = await serve();
    const response = await post({
      model: "deeprecall",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: OPEN_WEBUI_TASKS.title }],
    });
    const read = await readStream(response);
    expect(calls).toHaveLength(1);
    expect(store.searches).toBe(0);
    expect(read.content).toBe(TITLE_JSON);
    expect(read.reasoning).toBe("");
    expect(read.chunks.at(-1)).toBe("[DONE]");
    for (const chunk of read.objects) expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
    expect(read.objects.at(-1)!.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5 });
  });

  it("LibreChat's title requests (user or system message) go to the task model", async () => {
    const { post, calls, store } = await serve();
    const convo = "User: Who founded Acme?\nAI: Jane Doe [1].";
    for (const messages of [
      [
        {
          role: "user",
          content: `Provide a concise, 5-word-or-less title for the conversation, using title case conventions. Only return the title itself.\n\nConversation:\n${convo}`,
        },
      ],
      [
        {
          role: "system",
          content: `Please generate a concise, 5-word-or-less title for the conversation, using its same language, with no punctuation. Apply title case conventions appropriate for the language. Never directly mention the language name or the word "title"\n\n${convo}`,
        },
      ],
    ]) {
      const response = await post({ model: "deeprecall", messages });
      expect(response.status).toBe(200);
      const json = (await response.json()) as Json;
      expect(json.choices[0].message.content).toBe("Acme Founding History");
    }
    expect(calls).toHaveLength(2);
    expect(store.searches).toBe(0);
  });

  it("taskRouting: false sends them through retrieval; a custom detector routes what it says", async () => {
    const off = await serve({ taskRouting: false });
    await off.post({ model: "deeprecall", messages: [{ role: "user", content: OPEN_WEBUI_TASKS.tags }] });
    expect(off.store.searches).toBe(1);
    const custom = await serve({
      taskRouting: { detect: (m) => m.at(-1)?.content.startsWith("TITLE:") === true },
    });
    await custom.post({ model: "deeprecall", messages: [{ role: "user", content: "TITLE: Acme" }] });
    expect(custom.calls).toHaveLength(1);
    expect(custom.store.searches).toBe(0);
  });

  it("the detector: ### Task: prompts and LibreChat titles yes; questions, ongoing chats no", () => {
    expect(isHousekeeping([{ role: "user", content: OPEN_WEBUI_TASKS.followUps }])).toBe(true);
    expect(
      isHousekeeping([
        { role: "system", content: "Be nice." },
        { role: "user", content: "### Task:\nx" },
      ]),
    ).toBe(true);
    expect(isHousekeeping([{ role: "user", content: "Who founded Acme?" }])).toBe(false);
    expect(
      isHousekeeping([
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: "### Task:\nsummarise" },
      ]),
    ).toBe(false);
  });
});

describe("the task model", () => {
  it("is listed by /v1/models", async () => {
    const { client } = await serve();
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(["deeprecall", "deeprecall-task"]);
  });

  it("listed models used with the wrong endpoint: a 404 saying which endpoint they answer, not 'does not exist'", async () => {
    const { client, calls } = await serve({ embedding: async (texts) => texts.map(() => [1, 0]) });
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: { status: number; code: string; message: string }) => e,
      );
    const task = await failure(client.responses.create({ model: "deeprecall-task", input: "Hi" }));
    expect(task).toMatchObject({ status: 404, code: "model_not_found" });
    expect(task!.message).toContain("task model, which answers chat completions only. Use deeprecall.");
    const viaCompletions = await failure(
      client.completions.create({ model: "deeprecall-task", prompt: "Hi" }),
    );
    expect(viaCompletions!.message).toContain("task model");
    const embeddingModel = await failure(
      client.chat.completions.create({
        model: "deeprecall-embedding",
        messages: [{ role: "user", content: "Hi" }],
      }),
    );
    expect(embeddingModel!.message).toContain("embedding model, which answers /v1/embeddings only");
    const notEmbedding = await failure(client.embeddings.create({ model: "deeprecall-task", input: "Hi" }));
    expect(notEmbedding).toMatchObject({ status: 404, code: "model_not_found" });
    expect(notEmbedding!.message).toContain("not an embedding model. Use deeprecall-embedding.");
    expect(calls).toHaveLength(0);
  });

  it("passes max_tokens, stop, temperature and response_format to the model; one call, no search", async () => {
    const { client, calls, store } = await serve({}, () => "Jane Doe founded Acme.\nEND more text");
    const completion = await client.chat.completions.create({
      model: "deeprecall-task",
      messages: [
        { role: "system", content: "Answer briefly." },
        { role: "user", content: "Who founded Acme?" },
      ],
      max_completion_tokens: 40,
      temperature: 0.2,
      stop: ["END"],
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
    expect(completion.model).toBe("deeprecall-task");
    expect(completion.choices[0]!.message.content).toBe("Jane Doe founded Acme.\n");
    expect(calls).toHaveLength(1);
    expect(store.searches).toBe(0);
    const options = calls[0]!.options;
    expect(options.maxOutputTokens).toBe(40);
    expect(options.temperature).toBe(0.2);
    expect(options.stopSequences).toEqual(["END"]);
    expect(calls[0]!.prompt).toContain("Answer briefly.");

    const schema = { type: "object", properties: { title: { type: "string" } }, required: ["title"] };
    await client.chat.completions.create({
      model: "deeprecall-task",
      messages: [{ role: "user", content: "title?" }],
      response_format: { type: "json_schema", json_schema: { name: "title", schema } },
    });
    expect(calls[1]!.options.responseFormat).toMatchObject({ type: "json", schema });
  });

  it("streams through the openai client", async () => {
    const { client, calls } = await serve({}, () => "Jane Doe founded Acme in 1999.");
    const stream = await client.chat.completions.create({
      model: "deeprecall-task",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    let text = "";
    let pieces = 0;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        text += piece;
        pieces++;
      }
    }
    expect(text).toBe("Jane Doe founded Acme in 1999.");
    expect(pieces).toBeGreaterThan(1);
    expect(calls).toHaveLength(1);
  });
});

describe("ordinary chats", () => {
  it("with a few dozen tools attached and tool_choice unset: one retrieval run, a text answer", async () => {
    const { post, calls, store } = await serve();
    const response = await post({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme?" }],
      tools: someTools(36),
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as Json;
    expectOpenAISchema("CreateChatCompletionResponse", json);
    expect(json.choices[0].finish_reason).toBe("stop");
    expect(json.choices[0].message.content).toBe(ANSWER);
    expect(calls).toHaveLength(1);
    expect(store.searches).toBe(1); // the grounding search
  });

  it("Regenerate (the same body twice, streamed): both run fresh and both stream reasoning", async () => {
    const { post, calls } = await serve();
    const body = {
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    };
    const first = await readStream(await post(body));
    const second = await readStream(await post(body));
    expect(calls).toHaveLength(2);
    for (const read of [first, second]) {
      expect(read.reasoning.length).toBeGreaterThan(0);
      expect(read.content).toBe(ANSWER);
      const last = read.objects.at(-1)!;
      expect(last.deeprecall.cached).toBe(false);
    }
  });
});

describe("sources as url_citation annotations", () => {
  it("non-streaming, through the openai client: handles [n] map to their sources, with indices", async () => {
    const { client, server } = await serve();
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme? Where was Jane Doe born?" }],
    });
    expectOpenAISchema("CreateChatCompletionResponse", completion);
    const message = completion.choices[0]!.message;
    const content = message.content!;
    const annotations = message.annotations!;
    expect(annotations.length).toBeGreaterThanOrEqual(2);
    const [first, second] = annotations.map((a) => a.url_citation);
    expect(content.slice(first!.start_index, first!.end_index)).toBe("[1]");
    expect(content.slice(second!.start_index, second!.end_index)).toBe("[2]");
    // [1] is the grounding search's best hit; its link is the document in this server.
    expect(first).toMatchObject({ title: "notes/acme.txt", url: `${server.url}/v1/documents/acme` });
    // A source with its own http(s) URL links there, titled by its metadata title.
    expect(second).toMatchObject({ title: "Jane Doe", url: "https://example.com/jane" });
    for (const a of annotations) expect(a.type).toBe("url_citation");
    // The link serves the document.
    const doc = (await (await fetch(first!.url)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ object: "document", id: "acme", metadata: { source: "notes/acme.txt" } });
    expect(String(doc.content)).toContain("Acme Corporation");
  });

  it("streaming, through the openai client: delta.annotations once the answer is complete", async () => {
    const { client, server } = await serve();
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme? Where was Jane Doe born?" }],
    });
    let content = "";
    const annotations: Array<{ type: string; url_citation: Json }> = [];
    let annotatedAfterContent = true;
    for await (const chunk of stream) {
      expectOpenAISchema("CreateChatCompletionStreamResponse", chunk);
      const delta = chunk.choices[0]?.delta as (Json & { content?: string }) | undefined;
      if (delta?.content) {
        content += delta.content;
        if (annotations.length > 0) annotatedAfterContent = false;
      }
      if (Array.isArray(delta?.annotations)) annotations.push(...delta.annotations);
    }
    expect(content).toBe(ANSWER);
    expect(annotatedAfterContent).toBe(true);
    expect(annotations[0]!.url_citation).toMatchObject({ url: `${server.url}/v1/documents/acme` });
    const { start_index, end_index } = annotations[0]!.url_citation;
    expect(content.slice(start_index, end_index)).toBe("[1]");
    // Validated as a non-streaming message would be.
    expectOpenAISchema("ChatCompletionResponseMessage", {
      role: "assistant",
      content,
      refusal: null,
      annotations,
    });
  });

  it("the Responses API: output_text annotations, streamed as response.output_text.annotation.added", async () => {
    const { client, server } = await serve();
    const input = "Who founded Acme? Where was Jane Doe born?";
    const response = await client.responses.create({ model: "deeprecall", input });
    expectOpenAISchema("Response", response);
    const text = response.output_text;
    const part = response.output.flatMap((item) => (item.type === "message" ? item.content : []))[0]!;
    const annotations = (part.type === "output_text" ? part.annotations : []) as Json[];
    expect(annotations[0]).toMatchObject({
      type: "url_citation",
      title: "notes/acme.txt",
      url: `${server.url}/v1/documents/acme`,
    });
    expect(text.slice(annotations[0]!.start_index, annotations[0]!.end_index)).toBe("[1]");

    const stream = await client.responses.create({ model: "deeprecall", input, stream: true });
    const added: Json[] = [];
    let done: Json | undefined;
    for await (const event of stream) {
      expectOpenAISchema("ResponseStreamEvent", event);
      if (event.type === "response.output_text.annotation.added") added.push(event as Json);
      if (event.type === "response.completed") done = event.response as Json;
    }
    expect(added.map((e) => e.annotation_index)).toEqual(annotations.map((_, i) => i));
    expect(added.map((e) => e.annotation)).toEqual(annotations);
    expect(done!.output.at(-1).content[0].annotations).toEqual(annotations);
  });

  it("publicUrl sets the links' base; unknown documents are 404", async () => {
    const { client, server } = await serve({ publicUrl: "https://recall.example.com/" });
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    expect(completion.choices[0]!.message.annotations![0]!.url_citation.url).toBe(
      "https://recall.example.com/v1/documents/acme",
    );
    const missing = await fetch(`${server.url}/v1/documents/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("document_not_found");
    // Found on a later page of list().
    const weather = (await (await fetch(`${server.url}/v1/documents/weather`)).json()) as { id: string };
    expect(weather.id).toBe("weather");
  });

  it("a store that can neither get nor list documents: 501, never a search", async () => {
    const engine = new DeepRecallEngine({
      vectorStore: new MemoryStore(),
      model: countingModel(defaultReply).model,
    });
    engines.push(engine);
    const server = await startServer({ app: createApp(engine) });
    servers.push(server);
    const response = await fetch(`${server.url}/v1/documents/acme`);
    expect(response.status).toBe(501);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_implemented");
  });
});

describe("request log", () => {
  async function logged(reply: (prompt: string) => Reply) {
    const entries: ServerLogEntry[] = [];
    const s = await serve({ logger: (e) => entries.push(e) }, reply);
    return { ...s, entries };
  }
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it("a stream: one line, total time until it ended, outcome completed", async () => {
    const { post, entries } = await logged(() => ({ text: "FINAL(Jane Doe [1].)", delayMs: 300 }));
    const response = await post({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    await readStream(response);
    await until(() => entries.length > 0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: "info",
      message: "request",
      status: 200,
      outcome: "completed",
    });
    expect(entries[0]!.requestId).toBe(response.headers.get("x-request-id"));
    expect(entries[0]!.durationMs!).toBeGreaterThanOrEqual(250);
  });

  it("a client that disconnects: one line, outcome client disconnected, run aborted", async () => {
    const { post, entries, calls } = await logged(() => ({ text: "never", waitForAbort: true }));
    const response = await post({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    const reader = new SseReader(response.body!);
    await reader.next(); // the role chunk
    await until(() => calls.length > 0);
    await reader.cancel();
    await until(() => entries.length > 0);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: "client disconnected, run aborted", status: 200 });
    expect(entries[0]!.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("a stream that fails: one line with the request id, the reason and the error status", async () => {
    const failure = Object.assign(new Error("Incorrect API key provided"), { statusCode: 401 });
    const { post, entries } = await logged(() => failure);
    const response = await post({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    const read = await readStream(response);
    expect(read.objects.some((o) => "error" in o)).toBe(true);
    await until(() => entries.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.requestId).toBe(response.headers.get("x-request-id"));
    expect(entries[0]!.outcome).toMatch(/^failed: /);
    expect(entries[0]!.status).toBe(200);
    expect(entries[0]!.errorStatus).toBeGreaterThanOrEqual(400);
    expect(entries[0]!.error).toBeDefined();
  });

  it("a housekeeping request is logged as routed to the task model", async () => {
    const { post, entries } = await logged(defaultReply);
    await post({ model: "deeprecall", messages: [{ role: "user", content: OPEN_WEBUI_TASKS.title }] });
    await until(() => entries.length > 0);
    expect(entries[0]).toMatchObject({ outcome: "completed", route: "task", status: 200 });
  });
});
