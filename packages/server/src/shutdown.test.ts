/**
 * Graceful shutdown with streams open (real ports, real HTTP): a stream still open near the end of
 * the grace period gets a proper ending — an OpenAI error `server_shutting_down` then [DONE]; for
 * the Responses API `error` then `response.failed` — before its connection closes, and its engine
 * run is aborted; plain requests and streams that end within the grace period finish normally.
 */
import type { EngineEvent, QueryOptions } from "@deeprecall/core";
import { abortProbe, scriptedModel, seededEngine } from "@deeprecall/test-utils";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { deferred, makeResult, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { dataOf, SseReader } from "./__fixtures__/sse.ts";
import { createApp } from "./app.ts";
import { type RunningServer, startServer } from "./serve.ts";
import { STREAM_END_MARGIN_MS } from "./shutdown.ts";

const servers: RunningServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serve(engine: ScriptedEngine | Parameters<typeof createApp>[0]) {
  const server = await startServer({ app: createApp(engine) });
  servers.push(server);
  return server;
}

/** A stream script that reports progress, then waits until its run is aborted (recording that). */
function hangUntilAborted(engine: ScriptedEngine) {
  const aborts: unknown[] = [];
  const started: Array<() => void> = [];
  let running = 0;
  engine.onStream = async function* (q: string, options: QueryOptions): AsyncIterable<EngineEvent> {
    running++;
    yield { type: "iteration-start", iteration: 1 };
    for (const resolve of started.splice(0)) resolve();
    await new Promise<void>((resolve) =>
      options.signal!.addEventListener("abort", () => resolve(), { once: true }),
    );
    aborts.push(options.signal!.reason);
    yield { type: "answer-delta", text: "never sent" };
    yield { type: "result", result: makeResult(q, "never sent") };
  };
  return {
    aborts,
    /** Resolves once `n` runs have started. */
    running: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (running >= n ? resolve() : started.push(check));
        check();
      }),
  };
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const SHUTTING_DOWN = {
  type: "server_error",
  param: null,
  code: "server_shutting_down",
  message: expect.stringMatching(/^The server is shutting down/),
};

describe("shutdown with streams open", () => {
  it("ends every open stream before the grace period is over: chat and completions get the error and [DONE], Responses its failure events; runs are aborted", async () => {
    const engine = new ScriptedEngine();
    const hang = hangUntilAborted(engine);
    const server = await serve(engine);
    const messages = [{ role: "user", content: "q" }];
    const chat = new SseReader(
      (await post(`${server.url}/v1/chat/completions`, { stream: true, messages })).body!,
    );
    const completion = new SseReader(
      (await post(`${server.url}/v1/completions`, { stream: true, prompt: "q" })).body!,
    );
    const response = new SseReader(
      (await post(`${server.url}/v1/responses`, { stream: true, input: "q" })).body!,
    );
    await hang.running(3);
    await chat.until((b) => b.includes("Iteration 1"));

    // A margin wider than the 1 s default, so that only the rule is timed, not this machine's speed:
    // the streams end at 1 s, 3 s before the grace period is over.
    const grace = 4_000;
    const margin = 3_000;
    const t0 = performance.now();
    let ended: number | undefined;
    const stopped = server.shutdown({
      gracePeriodMs: grace,
      streamEndMarginMs: margin,
      onStreamsEnded: (count) => (ended = count),
    });
    // No new connections once shutting down.
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    // Chat: its error chunk, then [DONE], then the stream ends cleanly (not cut).
    const chatRest = await chat.rest();
    const elapsed = performance.now() - t0;
    expect(chatRest.slice(-2).map(dataOf)).toEqual([{ error: SHUTTING_DOWN }, "[DONE]"]);
    expect(chatRest.join("\n")).not.toContain("never sent");
    // Ended the margin before the grace period is over, not at once and not at the cut.
    expect(elapsed).toBeGreaterThanOrEqual(grace - margin - 50);
    // (the default 1 s margin would have ended them at 3 s)
    expect(elapsed).toBeLessThan(grace - STREAM_END_MARGIN_MS);

    const completionRest = await completion.rest();
    expect(completionRest.map(dataOf)).toEqual([{ error: SHUTTING_DOWN }, "[DONE]"]);

    const responseRest = (await response.rest()).slice(-2);
    const events = responseRest.map((b) => dataOf(b.slice(b.indexOf("data: "))) as Record<string, unknown>);
    expect(events.map((e) => e.type)).toEqual(["error", "response.failed"]);
    expect(responseRest[0]).toMatch(/^event: error\n/);
    expect(events[0]).toMatchObject({ code: "server_shutting_down", message: SHUTTING_DOWN.message });
    expect(events[1]).toMatchObject({
      response: { status: "failed", error: { code: "server_error", message: SHUTTING_DOWN.message } },
    });

    // Every run was aborted, with the shutdown's error as the reason.
    expect(hang.aborts).toHaveLength(3);
    expect(hang.aborts[0]).toMatchObject({ status: 503, code: "server_shutting_down" });
    expect(ended).toBe(3);
    // With every stream ended, the connections close before the grace period is over.
    await stopped;
    expect(performance.now() - t0).toBeLessThan(grace);
  });

  it("ends streams at once when the grace period is shorter than the margin (close())", async () => {
    const engine = new ScriptedEngine();
    const hang = hangUntilAborted(engine);
    const server = await serve(engine);
    const res = await post(`${server.url}/v1/chat/completions`, {
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    const sse = new SseReader(res.body!);
    await sse.until((b) => b.includes("Iteration 1"));
    const t0 = performance.now();
    await server.close();
    // Not held up by the endings' delivery cap: the ending was written at once.
    expect(performance.now() - t0).toBeLessThan(STREAM_END_MARGIN_MS);
    expect((await sse.rest()).map(dataOf)).toEqual([{ error: SHUTTING_DOWN }, "[DONE]"]);
    expect(hang.aborts).toHaveLength(1);
  });

  it("the official openai client sees an APIError server_shutting_down, chat and Responses alike", async () => {
    const engine = new ScriptedEngine();
    const hang = hangUntilAborted(engine);
    const server = await serve(engine);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const chat = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    const responses = await client.responses.create({ model: "deeprecall", stream: true, input: "q" });
    const drain = async (stream: AsyncIterable<unknown>) => {
      for await (const _ of stream) {
        // reading until the server ends the stream
      }
    };
    const chatDone = drain(chat).then(
      () => undefined,
      (error: unknown) => error,
    );
    const responsesDone = drain(responses).then(
      () => undefined,
      (error: unknown) => error,
    );
    await hang.running(2);
    await server.shutdown({ gracePeriodMs: 1_200 });
    for (const error of [await chatDone, await responsesDone]) {
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ code: "server_shutting_down" });
      expect((error as Error).message).toContain("The server is shutting down");
    }
    expect(hang.aborts).toHaveLength(2);
  });

  it("a real engine's model call is aborted, and no other model call follows", async () => {
    const probe = abortProbe();
    // The model's first turn hangs until it is aborted; a second call would fail the run loudly.
    const engine = await seededEngine(scriptedModel([probe.reply]), { retry: { maxRetries: 0 } });
    const server = await serve(engine);
    const res = await post(`${server.url}/v1/chat/completions`, {
      stream: true,
      messages: [{ role: "user", content: "Who founded Acme?" }],
    });
    const sse = new SseReader(res.body!);
    await probe.started;
    expect(probe.aborted).toBe(false);
    await server.shutdown({ gracePeriodMs: 0 });
    expect(probe.aborted).toBe(true);
    const rest = await sse.rest();
    expect(rest.slice(-2).map(dataOf)).toEqual([{ error: SHUTTING_DOWN }, "[DONE]"]);
  });

  it("plain requests and streams that end within the grace period finish normally", async () => {
    const engine = new ScriptedEngine();
    const release = deferred();
    const defaultQuery = engine.onQuery;
    engine.onQuery = async (q, options) => {
      await release.promise;
      return defaultQuery(q, options);
    };
    engine.onStream = async function* (q) {
      yield { type: "iteration-start", iteration: 1 };
      await release.promise;
      yield { type: "answer-delta", text: `Answer to: ${q}` };
      yield { type: "result", result: makeResult(q, `Answer to: ${q}`) };
    };
    const server = await serve(engine);
    const messages = [{ role: "user", content: "q" }];
    const plain = post(`${server.url}/v1/chat/completions`, { messages });
    const stream = new SseReader(
      (await post(`${server.url}/v1/chat/completions`, { stream: true, messages })).body!,
    );
    await stream.until((b) => b.includes("Iteration 1"));
    let ended: number | undefined;
    const stopped = server.shutdown({ gracePeriodMs: 6_000, onStreamsEnded: (count) => (ended = count) });
    // Both answer well before the streams would be ended (at 5 s).
    setTimeout(release.resolve, 600);

    const reply = await plain;
    expect(reply.status).toBe(200);
    const json = (await reply.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toBe("Answer to: q");
    const rest = await stream.rest();
    expect(rest.at(-1)).toBe("data: [DONE]");
    expect(rest.join("\n")).toContain("Answer to: q");
    expect(rest.join("\n")).not.toContain("server_shutting_down");
    expect(rest.map(dataOf).some((d) => typeof d === "object" && d !== null && "error" in d)).toBe(false);
    await stopped;
    expect(ended).toBeUndefined();
  });

  it("a plain request still running when the grace period is over is cut, after the streams were ended", async () => {
    const engine = new ScriptedEngine();
    const hang = hangUntilAborted(engine);
    engine.onQuery = () => new Promise(() => {});
    const server = await serve(engine);
    const messages = [{ role: "user", content: "q" }];
    const plain = post(`${server.url}/v1/chat/completions`, { messages });
    const stream = new SseReader(
      (await post(`${server.url}/v1/chat/completions`, { stream: true, messages })).body!,
    );
    await hang.running(1);
    await stream.until((b) => b.includes("Iteration 1"));
    let graceOver = false;
    const t0 = performance.now();
    await server.shutdown({ gracePeriodMs: 1_500, onGraceOver: () => (graceOver = true) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_450);
    expect(graceOver).toBe(true);
    expect((await stream.rest()).map(dataOf)).toEqual([{ error: SHUTTING_DOWN }, "[DONE]"]);
    await expect(plain).rejects.toThrow();
  });
});
