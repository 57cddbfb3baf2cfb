import { availableParallelism } from "node:os";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelOrSkip } from "./model-file.ts";
import { type RunningTestLlm, startTestLlm, threadsFromEnv } from "./start.ts";

// The real model: under CI=true a missing model fails here instead of skipping.
const modelPath = testModelOrSkip();

// Generating tests get room for a busy 2-core machine (see the threads note in beforeAll); none
// asserts a speed, and the abort test proves the stop by token count, not by time.
const GENERATING_TEST_MS = 120_000;
/** A wait on the model that has not ended by then fails as an assertion, before the test timeout. */
const MODEL_WAIT_MS = 60_000;

/** Raw SSE `data:` payloads of a streaming request. */
async function sseEvents(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

describe.skipIf(!modelPath)("the test LLM endpoint (real SmolLM2-135M)", () => {
  let llm: RunningTestLlm;
  let client: OpenAI;
  beforeAll(async () => {
    // llama.cpp's threads wait on each other at every token, so a thread per core stalls whenever
    // another process (vitest, a sibling test file) takes one: leave a core to the rest, as
    // packages/cli/src/real-model.e2e.test.ts does.
    llm = await startTestLlm({
      modelPath: modelPath!,
      threads: threadsFromEnv() ?? Math.max(1, availableParallelism() - 1),
    });
    client = new OpenAI({ baseURL: llm.baseUrl, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(() => llm?.close());

  it("lists its model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["SmolLM2-135M-Instruct.Q4_1"]);
  });

  it(
    "answers non-streaming with counted usage, and max_tokens cuts the reply with finish_reason length",
    async () => {
      const short = await client.chat.completions.create({
        model: llm.modelId,
        messages: [{ role: "user", content: "What is the capital of France?" }],
        max_tokens: 40,
      });
      expect(short.choices[0]!.message.content).toMatch(/Paris/);
      expect(short.usage!.prompt_tokens).toBeGreaterThan(5);
      expect(short.usage!.completion_tokens).toBeGreaterThan(0);
      expect(short.usage!.total_tokens).toBe(short.usage!.prompt_tokens + short.usage!.completion_tokens);

      const cut = await client.chat.completions.create({
        model: llm.modelId,
        messages: [{ role: "user", content: "Write a long story about a dragon and a knight." }],
        max_completion_tokens: 7,
      });
      expect(cut.choices[0]!.finish_reason).toBe("length");
      expect(cut.usage!.completion_tokens).toBe(7);
      expect(llm.requests.at(-1)!.maxTokens).toBe(7);
    },
    GENERATING_TEST_MS,
  );

  it(
    "streams SSE: role first, text deltas, finish reason, usage when asked, [DONE] last",
    async () => {
      const response = await fetch(`${llm.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: llm.modelId,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: 12,
          messages: [{ role: "user", content: "Count from one to twenty in words." }],
        }),
      });
      expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
      const events = await sseEvents(response);
      expect(events.at(-1)).toBe("[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      expect(chunks[0].choices[0].delta.role).toBe("assistant");
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
      expect(text.length).toBeGreaterThan(0);
      expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("length");
      const usage = chunks.at(-1).usage;
      expect(chunks.at(-1).choices).toEqual([]);
      expect(usage.completion_tokens).toBe(12);

      // Without include_usage no usage chunk is sent.
      const plain = await sseEvents(
        await fetch(`${llm.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ stream: true, max_tokens: 3, messages: [{ role: "user", content: "Hi" }] }),
        }),
      );
      expect(plain.at(-1)).toBe("[DONE]");
      expect(plain.slice(0, -1).some((e) => "usage" in JSON.parse(e))).toBe(false);
    },
    GENERATING_TEST_MS,
  );

  it(
    "the official client streams with usage",
    async () => {
      const stream = await client.chat.completions.create({
        model: llm.modelId,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 20,
        messages: [{ role: "user", content: "Say hello." }],
      });
      let text = "";
      let total = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (chunk.usage) total = chunk.usage.total_tokens;
      }
      expect(text.trim().length).toBeGreaterThan(0);
      expect(total).toBeGreaterThan(0);
    },
    GENERATING_TEST_MS,
  );

  it(
    "a client that disconnects stops the generation",
    async () => {
      const controller = new AbortController();
      const response = await fetch(`${llm.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        signal: controller.signal,
        body: JSON.stringify({
          stream: true,
          max_tokens: 4000,
          messages: [
            { role: "user", content: "Write a very long essay about the history of every country." },
          ],
        }),
      });
      const reader = response.body!.getReader();
      await reader.read(); // the role chunk: generation is under way
      await reader.read();
      expect(llm.model.activeGenerations).toBe(1);
      controller.abort();
      // Unaborted, this prompt runs to the 4000-token cap (measured: about 110 s on one idle core), so
      // fewer tokens prove that the abort stopped the model, however slow the machine.
      const streamed = llm.requests.at(-1)!;
      expect(
        await until(() => llm.model.activeGenerations === 0 && streamed.outcome !== undefined, MODEL_WAIT_MS),
      ).toBe(true);
      expect(streamed.outcome!.aborted).toBe(true);
      expect(streamed.outcome!.completionTokens).toBeLessThan(4000);

      // Non-streaming too: the client gives up while the model is generating, the model stops. The
      // abort waits for the generation to be under way, so a stalled machine cannot make the client
      // leave before the server has seen the request.
      const before = llm.requests.length;
      const leaving = new AbortController();
      const reply = fetch(`${llm.baseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        signal: leaving.signal,
        body: JSON.stringify({
          max_tokens: 4000,
          messages: [
            { role: "user", content: "Write a very long essay about the history of every country." },
          ],
        }),
      });
      expect(
        await until(() => llm.requests.length > before && llm.model.activeGenerations === 1, MODEL_WAIT_MS),
      ).toBe(true);
      leaving.abort();
      await expect(reply).rejects.toThrow();
      expect(
        await until(
          () => llm.requests[before]!.outcome !== undefined && llm.model.activeGenerations === 0,
          MODEL_WAIT_MS,
        ),
      ).toBe(true);
      expect(llm.requests[before]!.outcome!.aborted).toBe(true);
      expect(llm.requests[before]!.outcome!.completionTokens).toBeLessThan(4000);
    },
    GENERATING_TEST_MS,
  );

  it("rejects bad input with OpenAI-shaped 400s naming the param", async () => {
    const bad = await fetch(`${llm.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "x" }], max_tokens: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: "max_tokens", type: "invalid_request_error" } });
    const notJson = await fetch(`${llm.baseUrl}/chat/completions`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    const none = await fetch(`${llm.baseUrl}/chat/completions`, { method: "POST", body: "{}" });
    expect(((await none.json()) as { error: { param: string } }).error.param).toBe("messages");
    expect((await fetch(`${llm.baseUrl}/nope`)).status).toBe(404);
  });
});
