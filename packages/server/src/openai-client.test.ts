import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { makeResult, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";
import type { CreateAppOptions } from "./types.ts";

const servers: RunningServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function setup(options: CreateAppOptions = {}, apiKey = "unused") {
  const engine = new ScriptedEngine();
  await engine.addDocuments({
    documents: ["The 2008 crisis was caused by subprime mortgages.", "Bananas are yellow."],
    ids: ["crisis", "banana"],
    metadatas: [{ topic: "finance" }, { topic: "fruit" }],
  });
  const server = await startServer({ app: createApp(engine, options) });
  servers.push(server);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
  return { engine, client, server };
}

type WithExtension = {
  deeprecall: { sources: Array<{ id: string }>; confidence: number | null; steps: unknown[] };
};

describe("official openai client: chat completions", () => {
  it("gets an answer, usage and the deeprecall extension", async () => {
    const { client } = await setup();
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "What caused the 2008 crisis?" }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("deeprecall");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message).toMatchObject({
      role: "assistant",
      content: "Answer to: What caused the 2008 crisis?",
    });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
    const ext = (completion as unknown as WithExtension).deeprecall;
    expect(ext.sources.map((s) => s.id)).toContain("crisis");
    expect(ext.steps).toHaveLength(1);
  });

  it("maps system messages, earlier turns and sampling options onto the engine call", async () => {
    const { client, engine } = await setup();
    await client.chat.completions.create({
      model: "deeprecall",
      temperature: 0.2,
      max_tokens: 321,
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Tell me about bananas." },
        { role: "assistant", content: "They are yellow." },
        { role: "developer", content: "Cite sources." },
        {
          role: "user",
          content: [
            { type: "text", text: "And the" },
            { type: "text", text: "2008 crisis?" },
          ],
        },
      ],
    });
    const call = engine.calls.find((c) => c.method === "query")!;
    expect(call.query).toBe("And the\n2008 crisis?");
    expect(call.options).toMatchObject({
      instructions: "Be terse.\n\nCite sources.",
      history: [
        { role: "user", content: "Tell me about bananas." },
        { role: "assistant", content: "They are yellow." },
      ],
      temperature: 0.2,
      maxOutputTokens: 321,
    });
    expect(call.options?.signal).toBeInstanceOf(AbortSignal);
  });

  it("prefers max_completion_tokens over max_tokens", async () => {
    const { client, engine } = await setup();
    await client.chat.completions.create({
      model: "deeprecall",
      max_tokens: 10,
      max_completion_tokens: 99,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(engine.calls.find((c) => c.method === "query")!.options?.maxOutputTokens).toBe(99);
  });

  it("streams with for-await: role first, progress as reasoning_content, the answer as content", async () => {
    const { client } = await setup();
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "What caused the 2008 crisis?" }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const deltas = chunks.flatMap((c) =>
      c.choices.map((ch) => ch.delta as { content?: string; reasoning_content?: string }),
    );
    const reasoning = deltas.map((d) => d.reasoning_content ?? "").join("");
    expect(reasoning).toContain("Iteration 1");
    expect(reasoning).toMatch(/Searched "What caused the 2008 crisis\?" \(top 5\): 1 hit/);
    expect(reasoning).toContain("Running code block 1");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("Answer to: What caused the 2008 crisis?");
    const finish = chunks.find((c) => c.choices[0]?.finish_reason)!;
    expect(finish.choices[0]!.finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 });
    expect((last as unknown as WithExtension).deeprecall.sources[0]!.id).toBe("crisis");
    for (const c of chunks) {
      expect(c.object).toBe("chat.completion.chunk");
      expect(c.id).toBe(chunks[0]!.id);
    }
  });

  it("streams without usage when include_usage is not set, with the extension on the last chunk", async () => {
    const { client } = await setup();
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "bananas" }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe("stop");
    expect(last.usage ?? null).toBeNull();
    expect((last as unknown as WithExtension).deeprecall.sources[0]!.id).toBe("banana");
  });

  it("surfaces a mid-stream engine failure as an APIError from the iterator", async () => {
    const { client, engine } = await setup();
    engine.onStream = async function* () {
      yield { type: "iteration-start", iteration: 1 };
      throw new (await import("@deeprecall/core")).LLMProviderError("upstream 500 from provider");
    };
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(seen.length).toBeGreaterThanOrEqual(1);
  });
});

describe("official openai client: errors surface as its typed errors", () => {
  it("AuthenticationError for a missing or wrong key, success with a right one", async () => {
    const { server } = await setup({ apiKeys: ["sk-good"] });
    const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-bad", maxRetries: 0 });
    const err = await wrong.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain("Invalid API key");
    const right = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-good", maxRetries: 0 });
    const models = await right.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["deeprecall"]);
  });

  it("RateLimitError with the rate_limit_error type", async () => {
    const { client } = await setup({ rateLimit: 1 });
    await client.models.list();
    const err = await client.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const rl = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rl.type).toBe("rate_limit_error");
    expect(rl.headers?.get("retry-after")).toMatch(/^\d+$/);
  });

  it("BadRequestError naming the param for unsupported requests", async () => {
    const { client } = await setup();
    const cases: Array<[Parameters<typeof client.chat.completions.create>[0], string]> = [
      [{ model: "deeprecall", n: 2, messages: [{ role: "user", content: "q" }] }, "n"],
      [{ model: "deeprecall", messages: [{ role: "system", content: "only a system prompt" }] }, "messages"],
      [
        {
          model: "deeprecall",
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "look" },
                { type: "image_url", image_url: { url: "https://example.com/x.png" } },
              ],
            },
          ],
        },
        "messages[0].content[1]",
      ],
      [{ model: "deeprecall", temperature: 7, messages: [{ role: "user", content: "q" }] }, "temperature"],
      [{ model: "deeprecall", messages: [] }, "messages"],
    ];
    for (const [request, param] of cases) {
      const err = await client.chat.completions
        .create({ ...request, stream: false })
        .catch((e: unknown) => e);
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
    }
  });

  it("NotFoundError for an unknown model, and the known one retrievable", async () => {
    const { client } = await setup({ modelName: "deeprecall-prod" });
    expect((await client.models.retrieve("deeprecall-prod")).id).toBe("deeprecall-prod");
    const err = await client.models.retrieve("gpt-9").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("InternalServerError (502) for a provider failure, with no internals leaked", async () => {
    const { client, engine } = await setup();
    const { LLMProviderError } = await import("@deeprecall/core");
    engine.onQuery = async () => {
      throw new LLMProviderError("401 from provider, key sk-proj-abcdefghijklmnop rejected");
    };
    const err = await client.chat.completions
      .create({ model: "deeprecall", messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    const apiErr = err as InstanceType<typeof OpenAI.InternalServerError>;
    expect(apiErr.status).toBe(502);
    expect(JSON.stringify(apiErr.error)).not.toContain("abcdefghijklmnop");
  });

  it("does not retry a 503 model_not_configured (x-should-retry: false), whatever maxRetries says", async () => {
    const { server } = await setup({ modelUnavailable: "No language model configured: set OPENAI_API_KEY" });
    let seen = 0;
    server.server.prependListener("request", () => {
      seen++;
    });
    // The SDK's default: every 5xx is retried twice unless the server says not to.
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 2 });
    const err = await client.chat.completions
      .create({ model: "deeprecall", messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    expect(seen).toBe(1);
  });

  it("returns a partial answer (not an error) when the budget ran out", async () => {
    const { client, engine } = await setup();
    engine.onQuery = async (q) => {
      const result = makeResult(q, "Partial answer from what was found.", {
        error: "Budget exceeded: maxSearchCalls (limit 1)",
      });
      result.budgetStatus = { ...result.budgetStatus, exceeded: true, exceededLimit: "maxSearchCalls" };
      return result;
    };
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "q" }],
    });
    expect(completion.choices[0]!.message.content).toBe("Partial answer from what was found.");
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect((completion as unknown as { deeprecall: { error: string } }).deeprecall.error).toContain(
      "maxSearchCalls",
    );
  });
});
