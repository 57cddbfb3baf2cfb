import { DeepRecallEngine } from "@deeprecall/core";
import { createApp, startServer } from "@deeprecall/server";
import { InMemoryVectorStore } from "@deeprecall/test-utils";
import OpenAI from "openai";
import { afterAll, describe, expect, test } from "vitest";
import { BENCH_API_KEY, CHAT_BODY } from "./constants.ts";
import { BENCH_ANSWER, InstantEngine, SlowEngine } from "./engine-doubles.ts";
import { runAutocannon } from "./load.ts";
import { instantModel } from "./scenarios/engine.ts";
import { startOurServer } from "./scenarios/server.ts";
import { timeStream } from "./scenarios/streaming.ts";

// The harness's own seams, exercised for real: engine doubles behind the real app on a real
// port, the server processes the suite spawns, autocannon against them, the SSE timer.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe("engine doubles behind createApp", () => {
  test("the instant engine answers through the official openai client", async () => {
    const server = await startServer({ app: createApp(new InstantEngine()), port: 0 });
    cleanups.push(() => server.close());
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" });
    const completion = await client.chat.completions.create({
      model: "deeprecall",
      messages: [{ role: "user", content: "What are the key themes?" }],
    });
    expect(completion.choices[0]?.message.content).toBe(BENCH_ANSWER);
    expect(completion.usage?.total_tokens).toBe(150);
  });

  test("the slow engine streams progress before the answer, and timeStream sees the order", async () => {
    const server = await startServer({ app: createApp(new SlowEngine(300)), port: 0 });
    cleanups.push(() => server.close());
    const t = await timeStream(server.url);
    expect(t.sawDone).toBe(true);
    expect(t.reasoningChunks).toBeGreaterThan(0);
    // Ordering, not timing: bytes arrive before the content, which waits for the engine's delay.
    expect(t.firstByteMs).toBeLessThan(t.firstContentMs);
    expect(t.firstContentMs).toBeGreaterThanOrEqual(300);
  });
});

describe("spawned benchmark servers", () => {
  test("secured server rejects a missing key and serves load with the bench key", async () => {
    const server = await startOurServer("secured");
    cleanups.push(() => server.stop());
    const denied = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: CHAT_BODY,
    });
    expect(denied.status).toBe(401);
    const r = await runAutocannon(
      {
        name: "secured",
        url: server.url,
        path: "/v1/chat/completions",
        body: CHAT_BODY,
        headers: { authorization: `Bearer ${BENCH_API_KEY}` },
      },
      4,
      1,
    );
    expect(r.requests).toBeGreaterThan(0);
    expect(r.non2xx).toBe(0);
    expect(r.errors).toBe(0);
  });

  test("the bare floor answers the canned body byte for byte", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "bench-bare-"));
    const file = join(dir, "body.json");
    await writeFile(file, '{"hello":"world"}');
    const server = await startOurServer("bare", { env: { BENCH_BARE_BODY: file } });
    cleanups.push(() => server.stop());
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: CHAT_BODY });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"hello":"world"}');
    const bad = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
  });
});

test("the instant model drives the real engine through code turns to FINAL", async () => {
  const store = new InMemoryVectorStore();
  await store.addDocuments({ documents: ["Acme division 1", "Acme division 2"] });
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: instantModel(2),
    sandbox: { workers: 1 },
  });
  cleanups.push(() => engine.close());
  const result = await engine.query("Which Acme divisions exist?");
  expect(result.answer).toBe("done");
  expect(result.reasoningTrace.filter((s) => s.code.length > 0)).toHaveLength(2);
  // The engine's grounding search of the question comes first, then the model's own.
  expect(result.reasoningTrace[0]?.searches.map((s) => s.query)).toEqual([
    "Which Acme divisions exist?",
    "Acme division",
  ]);
});
