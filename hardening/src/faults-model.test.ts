import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, ragReply, startFakeLlm } from "./harness/fake-llm.ts";
import { chatBody, postJson, readSse, streamedAnswer } from "./harness/http.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";
import { waitFor } from "./harness/util.ts";

interface ErrorBody {
  error: { message: string; type: string; code: string | null };
}
interface Completion {
  choices: Array<{ message: { content: string } }>;
  deeprecall: { error: string | null; budget_status: { exceeded: boolean; exceeded_limit: string | null } };
}

const MAX_RETRIES = 2;

/** A server whose engine talks to the fake LLM over HTTP through @ai-sdk/openai-compatible. */
async function serverFor(llm: FakeLlm, strategy: "repl" | "tools" = "repl"): Promise<TestServer> {
  const provider = createOpenAICompatible({ name: "fake", baseURL: llm.baseUrl, apiKey: "sk-fake-llm-key" });
  return startTestServer({
    model: provider.chatModel("fake-model"),
    engine: { strategy, retry: { maxRetries: MAX_RETRIES, baseDelayMs: 5, maxDelayMs: 20 } },
  });
}

describe("fault injection: the model misbehaves (fake OpenAI-compatible LLM over HTTP)", () => {
  let llm: FakeLlm;
  let repl: TestServer;
  let tools: TestServer;
  beforeAll(async () => {
    llm = await startFakeLlm();
    repl = await serverFor(llm, "repl");
    tools = await serverFor(llm, "tools");
  });
  afterAll(async () => {
    await repl?.close();
    await tools?.close();
    await llm?.close();
  });

  const chat = (server: TestServer, question: string, extra: Record<string, unknown> = {}) =>
    postJson<ErrorBody & Completion>(
      `${server.url}/v1/chat/completions`,
      chatBody(question, { deeprecall: { no_cache: true }, ...extra }),
    );

  it("sanity: a well-behaved fake LLM gives a grounded answer", async () => {
    llm.setScript(ragReply);
    const res = await chat(repl, "Who developed the first compiler?");
    expect(res.status).toBe(200);
    expect(res.body.choices[0]!.message.content).toContain("Grace Hopper");
  });

  it("model 500s on every call: retried, then 502 llm_provider_error; the key never leaks", async () => {
    const start = llm.calls.length;
    llm.setScript(() => ({
      kind: "status",
      status: 500,
      message: "upstream exploded (key sk-fake-llm-key)",
    }));
    const res = await chat(repl, "What is photosynthesis?");
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("llm_provider_error");
    expect(JSON.stringify(res.body)).not.toContain("sk-fake-llm-key");
    expect(llm.calls.length - start).toBe(MAX_RETRIES + 1);
  });

  it("a single 500 (or a dropped connection) is retried and the query recovers", async () => {
    for (const fault of [{ kind: "status", status: 500 }, { kind: "reset" }] as const) {
      const start = llm.calls.length;
      llm.setScript((call) => (call.index === start ? fault : ragReply(call)));
      const res = await chat(repl, "Who developed the first compiler?");
      expect(res.status, fault.kind).toBe(200);
      expect(res.body.choices[0]!.message.content).toContain("Grace Hopper");
    }
  });

  it("429 from the model is retried; a persistent 401 is not (it is not transient)", async () => {
    let start = llm.calls.length;
    llm.setScript((call) => (call.index === start ? { kind: "status", status: 429 } : ragReply(call)));
    expect((await chat(repl, "Who developed the first compiler?")).status).toBe(200);

    start = llm.calls.length;
    llm.setScript(() => ({ kind: "status", status: 401, message: "bad key" }));
    const res = await chat(repl, "Who developed the first compiler?");
    expect(res.status).toBe(502);
    expect(llm.calls.length - start).toBe(1);
  });

  it("malformed JSON, a wrong-shaped body and a garbage stream: 502, never a 500 or a hang", async () => {
    for (const fault of [{ kind: "malformed-json" }, { kind: "wrong-shape" }] as const) {
      llm.setScript(() => fault);
      const res = await chat(repl, "Who developed the first compiler?");
      expect(res.status, fault.kind).toBe(502);
      expect(res.body.error.code).toBe("llm_provider_error");
    }
    llm.setScript(() => ({ kind: "garbage-stream" }));
    const res = await chat(tools, "Who developed the first compiler?");
    expect([200, 502]).toContain(res.status);
    if (res.status === 200) expect(res.body.deeprecall.error).toBeTruthy();
  });

  it("a stream truncated mid-event (tools strategy, streaming): an error event then [DONE], or a 502", async () => {
    llm.setScript(() => ({ kind: "truncated-stream", text: "Grace Hopper developed the first compiler." }));
    const res = await fetch(`${tools.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        chatBody("Who developed the first compiler?", { stream: true, deeprecall: { no_cache: true } }),
      ),
    });
    if (res.status === 200) {
      const sse = await readSse(res);
      expect(sse.done).toBe(true);
      expect(sse.events.some((e) => "error" in e)).toBe(true);
    } else {
      expect([502, 503]).toContain(res.status);
    }
    // Non-streaming through the repl strategy: a truncated JSON body is a 502.
    const plain = await chat(repl, "Who developed the first compiler?");
    expect(plain.status).toBe(502);
  });

  it("a model that never answers: the time budget ends the run with a best-effort answer, and the model request is cancelled", async () => {
    const start = llm.calls.length;
    llm.setScript(() => ({ kind: "hang" }));
    const res = await chat(repl, "Who developed the first compiler?", {
      deeprecall: { no_cache: true, budget: { max_time_seconds: 1 } },
    });
    expect(res.status).toBe(200);
    expect(res.body.deeprecall.budget_status.exceeded).toBe(true);
    expect(res.body.deeprecall.budget_status.exceeded_limit).toMatch(/max_?time_?seconds/i);
    expect(res.body.deeprecall.error).toMatch(/max_?time_?seconds|time/i);
    const hung = llm.calls.slice(start);
    expect(hung.length).toBeGreaterThan(0);
    await waitFor(() => hung.every((c) => c.clientAborted), "every hung model request to be cancelled");
  });

  it("the server keeps serving normally after all of that", async () => {
    llm.setScript(ragReply);
    const res = await fetch(`${repl.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody("Who developed the first compiler?", { stream: true })),
    });
    const sse = await readSse(res);
    expect(sse.done).toBe(true);
    expect(streamedAnswer(sse.events)).toContain("Grace Hopper");
    expect(repl.recorder.open).toEqual([]);
    expect(tools.recorder.open).toEqual([]);
  });
});
