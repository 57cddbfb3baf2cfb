import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine } from "@deeprecall/core";
import { scriptedModel } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";

// End to end: the real DeepRecallEngine (real QuickJS sandbox in worker threads) over a real
// LocalStore in a temp dir, behind the real HTTP server, driven by the official openai client.
// Only the LLM is a double: an AI SDK mock model replaying a script.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(replies: string[], engineOptions: { maxIterations?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-server-e2e-"));
  const store = new LocalStore({ directory: dir });
  const model = scriptedModel(replies);
  const calls = model.doGenerateCalls;
  const engine = new DeepRecallEngine({ vectorStore: store, model, ...engineOptions });
  const server: RunningServer = await startServer({ app: createApp(engine, { apiKeys: ["sk-e2e"] }) });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => engine.close());
  cleanups.push(() => server.close());
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-e2e", maxRetries: 0 });
  const add = await fetch(`${server.url}/v1/documents`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-e2e" },
    body: JSON.stringify({
      documents: [
        "Acme Corporation was founded by Jane Doe in 1999.",
        "Jane Doe was born in Lyon, France.",
        "The weather in Paris is mild in spring.",
      ],
      ids: ["acme", "jane", "weather"],
      metadatas: [{ source: "acme.txt" }, { source: "people.txt" }, { source: "weather.txt" }],
    }),
  });
  expect(add.status).toBe(200);
  return { client, server, calls };
}

const SCRIPT = [
  "Let me look.\n```repl\nconst hits = searchDb('Acme founder')\nprint(hits.length, hits[0].id)\n```",
  "FINAL(Acme was founded by Jane Doe.)",
];

type Ext = {
  deeprecall: {
    sources: Array<{ id: string }>;
    steps: Array<{ searches: Array<{ query: string; hits: number }> }>;
  };
};

describe("end to end: real engine + LocalStore + mock model", () => {
  it("answers a chat completion with sources and steps", async () => {
    const { client, calls } = await setup(SCRIPT);
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [
        { role: "system", content: "Answer in one sentence." },
        { role: "user", content: "Who founded Acme?" },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe("Acme was founded by Jane Doe.");
    expect(completion.usage?.total_tokens).toBe(30);
    const ext = (completion as unknown as Ext).deeprecall;
    expect(ext.sources.map((s) => s.id)).toContain("acme");
    // The grounding floor: the engine searched for the question itself before the first model
    // turn, then the model ran its own search.
    expect(ext.steps[0]!.searches.map((s) => s.query)).toEqual(["Who founded Acme?", "Acme founder"]);
    expect(ext.steps[0]!.searches[0]!.hits).toBeGreaterThan(0);
    expect(ext.steps[0]!.searches[1]!.hits).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect((completion as unknown as { deeprecall: { error: string | null } }).deeprecall.error).toBeNull();
    // The system message and the grounding passages reached the model in its first turn.
    expect(JSON.stringify(calls[0]!.prompt)).toContain("Answer in one sentence.");
    expect(JSON.stringify(calls[0]!.prompt)).toContain("Jane Doe in 1999");
    expect(JSON.stringify(calls[1]!.prompt)).toContain("acme");
  });

  it("passes temperature, top_p and seed to every turn of the root model", async () => {
    const { client, calls } = await setup(SCRIPT);
    await client.chat.completions.create({
      model: "deeprecall",
      temperature: 0.2,
      top_p: 0.5,
      seed: 7,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call).toMatchObject({ temperature: 0.2, topP: 0.5, seed: 7 });
  });

  it("streams progress and the answer", async () => {
    const { client } = await setup(SCRIPT);
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    let content = "";
    let reasoning = "";
    let last: unknown;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      content += delta?.content ?? "";
      reasoning += delta?.reasoning_content ?? "";
      last = chunk;
    }
    expect(content).toBe("Acme was founded by Jane Doe.");
    expect(reasoning).toContain('Searched "Who founded Acme?"'); // the grounding search
    expect(reasoning).toContain('Searched "Acme founder"');
    expect((last as { usage: { total_tokens: number } }).usage.total_tokens).toBe(30);
    expect((last as Ext).deeprecall.sources.map((s) => s.id)).toContain("acme");
  });

  // A model that never calls FINAL: a limit ends the run, so the answer is best-effort and the
  // finish_reason says so ("length"), streaming or not, whichever way the limit was set.
  const NEVER_FINAL = Array.from(
    { length: 10 },
    () => "Still looking.\n```repl\nprint(searchDb('Acme founder').length)\n```",
  );
  type Ended = {
    deeprecall: {
      error: string | null;
      budget_status: { exceeded: boolean; exceeded_limit: string | null };
      sources: Array<{ id: string }>;
    };
  };
  const expectLengthEnding = (answer: string, ext: Ended["deeprecall"]) => {
    expect(answer.trim()).not.toBe("");
    expect(answer).not.toContain("```");
    expect(ext.error).toMatch(/maxIterations/);
    expect(ext.budget_status).toMatchObject({ exceeded: true, exceeded_limit: "max_iterations" });
    expect(ext.sources.map((s) => s.id)).toContain("acme");
  };

  it('finish_reason is "length" when max_iterations in the request ends the run (non-streaming)', async () => {
    const { client } = await setup(NEVER_FINAL);
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme?" }],
      deeprecall: { budget: { max_iterations: 1 } },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expectLengthEnding(
      completion.choices[0]!.message.content ?? "",
      (completion as unknown as Ended).deeprecall,
    );
  });

  it('finish_reason is "length" when the engine\'s maxIterations ends the run (streaming)', async () => {
    const { client } = await setup(NEVER_FINAL, { maxIterations: 2 });
    for (const includeUsage of [true, false]) {
      const stream = await client.chat.completions.create({
        model: "deeprecall",
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        messages: [{ role: "user", content: "Who founded Acme?" }],
        deeprecall: { no_cache: true },
      } as OpenAI.ChatCompletionCreateParamsStreaming);
      let content = "";
      const reasons: Array<string | null> = [];
      let ext: Ended["deeprecall"] | undefined;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta.content ?? "";
        if (chunk.choices[0]) reasons.push(chunk.choices[0].finish_reason);
        ext = (chunk as unknown as Partial<Ended>).deeprecall ?? ext;
      }
      // Only the last choice chunk carries a finish_reason, and it is "length".
      expect(reasons.at(-1)).toBe("length");
      expect(reasons.slice(0, -1).every((r) => r === null)).toBe(true);
      expectLengthEnding(content, ext!);
    }
  });

  it('finish_reason stays "stop" when the model answers within a max_iterations budget', async () => {
    const { client } = await setup(SCRIPT);
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "Who founded Acme?" }],
      deeprecall: { budget: { max_iterations: 2 } },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.choices[0]!.message.content).toBe("Acme was founded by Jane Doe.");
  });

  it("searches the LocalStore without the model", async () => {
    const { server, calls } = await setup([]);
    const res = await fetch(`${server.url}/v1/search`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-e2e" },
      body: JSON.stringify({ query: "Jane Doe born", top_k: 2, filters: { source: "people.txt" } }),
    });
    const body = (await res.json()) as { data: Array<{ id: string }> };
    expect(body.data.map((h) => h.id)).toEqual(["jane"]);
    expect(calls).toHaveLength(0);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { documents: number };
    expect(health.documents).toBe(3);
  });
});
