import { describe, expect, it } from "vitest";
import { deferred, makeResult, ScriptedEngine } from "./__fixtures__/scripted-engine.ts";
import { SseReader } from "./__fixtures__/sse.ts";
import { createApp } from "./app.ts";
import { startServer } from "./serve.ts";

describe("startServer", () => {
  it("binds a free port, reports it, and closes", async () => {
    const server = await startServer({ app: createApp(new ScriptedEngine()) });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  it("rejects when the port is taken", async () => {
    const first = await startServer({ app: createApp(new ScriptedEngine()) });
    try {
      await expect(
        startServer({ app: createApp(new ScriptedEngine()), port: first.port }),
      ).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await first.close();
    }
  });

  it("close() ends open streams and aborts their engine runs", async () => {
    const engine = new ScriptedEngine();
    const aborted = deferred();
    engine.onStream = async function* (q, options) {
      yield { type: "iteration-start", iteration: 1 };
      await new Promise<void>((resolve) =>
        options.signal!.addEventListener("abort", () => resolve(), { once: true }),
      );
      aborted.resolve();
      yield { type: "result", result: makeResult(q, "never sent") };
    };
    const server = await startServer({ app: createApp(engine, { rateLimit: 10 }) });
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stream: true, messages: [{ role: "user", content: "q" }] }),
    });
    // Streaming responses carry the rate-limit headers too.
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("9");
    await new SseReader(res.body!).until((b) => b.includes("Iteration 1"));
    await server.close();
    await aborted.promise;
  });
});

describe("createApp option checks", () => {
  it("rejects bad options with a ConfigError naming the field", async () => {
    const { ConfigError } = await import("@deeprecall/core");
    const engine = new ScriptedEngine();
    const bad: Array<[Parameters<typeof createApp>[1], string]> = [
      [{ rateLimit: 0 }, "rateLimit"],
      [{ rateLimit: { requestsPerMinute: -1 } }, "rateLimit"],
      [{ bodyLimitBytes: Number.NaN }, "bodyLimitBytes"],
      [{ keepAliveMs: -1 }, "keepAliveMs"],
      [{ modelName: " " }, "modelName"],
      [{ apiKeys: ["ok", ""] }, "apiKeys"],
    ];
    for (const [options, field] of bad) {
      let caught: unknown;
      try {
        createApp(engine, options);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(ConfigError);
      expect((caught as InstanceType<typeof ConfigError>).field).toBe(field);
    }
    expect(() => createApp(null as never)).toThrow(ConfigError);
    expect(() => createApp(engine, { keepAliveMs: 0, rateLimit: 1 })).not.toThrow();
  });
});
