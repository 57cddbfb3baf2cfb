import type { EngineEvent } from "@deeprecall/core";
import { LLMProviderError, VectorStoreError } from "@deeprecall/core";
import { afterEach, describe, expect, it } from "vitest";
import { Harness, hasStack } from "./__fixtures__/harness.ts";
import { deferred, makeResult } from "./__fixtures__/scripted-engine.ts";
import { dataOf, SseReader } from "./__fixtures__/sse.ts";

const harness = new Harness();
afterEach(() => harness.stopAll());

const chatBody = (extra: Record<string, unknown> = {}) => ({
  model: "deeprecall",
  stream: true,
  messages: [{ role: "user", content: "What caused the 2008 crisis?" }],
  ...extra,
});

type Chunk = {
  id: string;
  object: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string; reasoning_content?: string };
    finish_reason: string | null;
  }>;
  usage?: unknown;
  deeprecall?: { error: string | null };
};

describe("SSE framing", () => {
  it("sends well-formed data events: role first, then progress, content, finish, [DONE] last", async () => {
    const { post } = await harness.start();
    const res = await post("/v1/chat/completions", chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const reader = new SseReader(res.body!);
    const blocks = await reader.rest();
    // Every event is exactly one "data: <json>" line followed by a blank line.
    expect(reader.raw.endsWith("data: [DONE]\n\n")).toBe(true);
    for (const block of blocks) expect(block).toMatch(/^data: [^\n]+$/);
    expect(blocks.at(-1)).toBe("data: [DONE]");
    const chunks = blocks.slice(0, -1).map((b) => dataOf(b) as Chunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    const kinds = chunks.map((c) => {
      const d = c.choices[0]?.delta ?? {};
      if (d.role) return "role";
      if (d.reasoning_content) return "reasoning";
      if (d.content) return "content";
      return c.choices[0]?.finish_reason ? "finish" : "other";
    });
    // Progress comes before the answer text, the finish chunk last.
    expect(kinds.lastIndexOf("reasoning")).toBeLessThan(kinds.indexOf("content"));
    expect(kinds.at(-1)).toBe("finish");
    expect(chunks.at(-1)!.deeprecall).toBeDefined();
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id)).toBe(true);
  });

  it("sends the role chunk before the engine produces anything", async () => {
    const { post, engine } = await harness.start();
    const gate = deferred();
    engine.onStream = async function* (q) {
      await gate.promise;
      yield { type: "result", result: makeResult(q, "late") } as EngineEvent;
    };
    const res = await post("/v1/chat/completions", chatBody());
    const reader = new SseReader(res.body!);
    const first = dataOf((await reader.next())!) as Chunk;
    expect(first.choices[0]!.delta.role).toBe("assistant");
    gate.resolve();
    const rest = await reader.rest();
    expect(rest.at(-1)).toBe("data: [DONE]");
    expect(
      rest
        .map((b) => (b.startsWith("data: {") ? (dataOf(b) as Chunk) : null))
        .some((c) => c?.choices[0]?.delta.content === "late"),
    ).toBe(true);
  });

  it("emits keep-alive comments while the engine is silent", async () => {
    const { post, engine } = await harness.start({ keepAliveMs: 10 });
    const gate = deferred();
    engine.onStream = async function* (q) {
      yield { type: "iteration-start", iteration: 1 } as EngineEvent;
      await gate.promise;
      yield { type: "result", result: makeResult(q, "done") } as EngineEvent;
    };
    const res = await post("/v1/chat/completions", chatBody());
    const reader = new SseReader(res.body!);
    await reader.until((b) => b === ": keep-alive");
    await reader.until((b) => b === ": keep-alive"); // and it keeps going
    gate.resolve();
    const rest = await reader.rest();
    expect(rest.at(-1)).toBe("data: [DONE]");
  });

  it("can switch reasoning progress off", async () => {
    const { post } = await harness.start({ reasoningStream: false });
    const res = await post("/v1/chat/completions", chatBody());
    const text = await res.text();
    expect(text).not.toContain("reasoning_content");
    expect(text).toContain('"content":"Answer');
  });

  it("sends the whole answer when the engine produced no deltas", async () => {
    const { post, engine } = await harness.start();
    engine.onStream = async function* (q) {
      yield { type: "result", result: makeResult(q, "All at once.") } as EngineEvent;
    };
    const reader = new SseReader((await post("/v1/chat/completions", chatBody())).body!);
    const chunks = (await reader.rest()).slice(0, -1).map((b) => dataOf(b) as Chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("All at once.");
  });

  it("honours stream_options.include_usage with a final empty-choices chunk", async () => {
    const { post } = await harness.start();
    const reader = new SseReader(
      (await post("/v1/chat/completions", chatBody({ stream_options: { include_usage: true } }))).body!,
    );
    const chunks = (await reader.rest()).slice(0, -1).map((b) => dataOf(b) as Chunk);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
    expect(last.deeprecall).toBeDefined();
  });
});

describe("failures and disconnects while streaming", () => {
  it("sends an OpenAI-shaped error event and then [DONE] when the engine fails mid-stream", async () => {
    const { post, engine } = await harness.start();
    engine.onStream = async function* () {
      yield { type: "iteration-start", iteration: 1 } as EngineEvent;
      yield { type: "answer-delta", text: "Partial" } as EngineEvent;
      throw new VectorStoreError("connection refused to http://admin:hunter2@chroma:8000", {
        store: "chroma(http://admin:hunter2@chroma:8000)",
        retryable: true,
      });
    };
    const reader = new SseReader((await post("/v1/chat/completions", chatBody())).body!);
    const blocks = await reader.rest();
    expect(blocks.at(-1)).toBe("data: [DONE]");
    const error = dataOf(blocks.at(-2)!) as {
      error: { message: string; type: string; code: string; param: null };
    };
    expect(error.error.code).toBe("vector_store_error");
    expect(error.error.type).toBe("server_error");
    expect(error.error.message).toContain("chroma");
    expect(reader.raw).not.toContain("hunter2");
    expect(hasStack(reader.raw)).toBe(false);
  });

  it("reports an unexpected error generically", async () => {
    const { post, engine } = await harness.start();
    engine.onStream = async function* () {
      yield* [];
      throw new TypeError("cannot read properties of undefined (reading 'secretThing')");
    };
    const reader = new SseReader((await post("/v1/chat/completions", chatBody())).body!);
    const blocks = await reader.rest();
    const error = dataOf(blocks.at(-2)!) as { error: { message: string } };
    expect(error.error.message).toBe("Internal server error");
    expect(reader.raw).not.toContain("secretThing");
  });

  it("maps a provider failure before any output to an error event too", async () => {
    const { post, engine } = await harness.start();
    engine.onStream = async function* () {
      yield* [];
      throw new LLMProviderError("model is not configured");
    };
    const blocks = await new SseReader((await post("/v1/chat/completions", chatBody())).body!).rest();
    expect((dataOf(blocks.at(-2)!) as { error: { code: string } }).error.code).toBe("model_not_configured");
  });

  it("answers 503 model_not_configured as the HTTP status when no model is configured, before any stream or engine call", async () => {
    const { post, request, engine } = await harness.start({
      modelUnavailable: "No language model configured: set OPENAI_API_KEY",
    });
    const requests: Array<[string, Record<string, unknown>]> = [
      ["/v1/chat/completions", { ...chatBody(), stream: true }],
      ["/v1/chat/completions", { ...chatBody(), stream: false }],
      ["/v1/responses", { model: "deeprecall", input: "hi", stream: true }],
      ["/v1/completions", { model: "deeprecall", prompt: "hi", stream: true }],
    ];
    for (const [path, body] of requests) {
      const res = await post(path, body);
      expect(res.status, path).toBe(503);
      expect((await res.json()) as unknown).toEqual({
        error: {
          message: "No language model configured: set OPENAI_API_KEY",
          type: "server_error",
          param: null,
          code: "model_not_configured",
        },
      });
    }
    // A request that is wrong anyway still hears what is wrong with it first.
    expect(
      (await post("/v1/chat/completions", { ...chatBody(), model: "gpt-nope", stream: true })).status,
    ).toBe(404);
    expect(engine.calls).toEqual([]);
    // What needs no model keeps working.
    expect((await request("/v1/models")).status).toBe(200);
  });

  it("aborts the engine run when the client disconnects", async () => {
    const { url, engine } = await harness.start();
    const aborted = deferred<unknown>();
    const finished = deferred();
    engine.onStream = async function* (_q, options) {
      try {
        options.signal!.addEventListener("abort", () => aborted.resolve(options.signal!.reason), {
          once: true,
        });
        yield { type: "iteration-start", iteration: 1 } as EngineEvent;
        // Wait for the abort like a real engine waits on a model call.
        await new Promise((_, reject) =>
          options.signal!.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
        );
      } finally {
        finished.resolve();
      }
    };
    const client = new AbortController();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody()),
      signal: client.signal,
    });
    const reader = new SseReader(res.body!);
    await reader.until((b) => b.includes("reasoning_content"));
    client.abort();
    await aborted.promise;
    await finished.promise;
    expect(engine.calls.find((c) => c.method === "stream")!.options!.signal!.aborted).toBe(true);
  });

  it("stops reading engine events once the client is gone, even if the engine ignores the signal", async () => {
    const { url, engine } = await harness.start();
    const closed = deferred();
    let produced = 0;
    engine.onStream = async function* () {
      try {
        for (;;) {
          produced++;
          yield { type: "answer-delta", text: "x".repeat(1000) } as EngineEvent;
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        closed.resolve();
      }
    };
    const client = new AbortController();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody()),
      signal: client.signal,
    });
    await new SseReader(res.body!).until((b) => b.includes('"content":"xxx'));
    client.abort();
    await closed.promise; // the generator was returned (for-await broke out)
    expect(produced).toBeGreaterThan(0);
  });
});

describe("non-streaming disconnects", () => {
  it("aborts the engine query when the client goes away before the answer", async () => {
    const { url, engine } = await harness.start();
    const started = deferred();
    const aborted = deferred();
    engine.onQuery = (_q, options) =>
      new Promise((_, reject) => {
        options.signal!.addEventListener(
          "abort",
          () => {
            aborted.resolve();
            reject(new Error("aborted"));
          },
          { once: true },
        );
        started.resolve();
      });
    const client = new AbortController();
    const pending = fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "slow question" }] }),
      signal: client.signal,
    }).catch((e: unknown) => e);
    await started.promise;
    client.abort();
    await aborted.promise;
    expect(await pending).toBeInstanceOf(Error);
  });
});
