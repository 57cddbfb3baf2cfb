/**
 * `deeprecall serve`'s graceful shutdown with a stream open (in process, real ports and HTTP, a
 * real engine against a model endpoint that never answers): the stream gets the OpenAI error
 * `server_shutting_down` and [DONE] before its connection closes, the model call behind it is
 * aborted, the log says so, and the store is closed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeEngine } from "./compose.ts";
import { resolveConfig } from "./config/index.ts";
import { type LogEntry, startServer } from "./server-runner.ts";

/** A model endpoint whose chat calls hang until the caller goes away (recorded). */
interface HangingModel {
  baseUrl: string;
  calls: number;
  aborted: number;
  started: Promise<void>;
  close(): Promise<void>;
}

async function hangingModel(): Promise<HangingModel> {
  let started!: () => void;
  const model: HangingModel = {
    baseUrl: "",
    calls: 0,
    aborted: 0,
    started: new Promise<void>((resolve) => {
      started = resolve;
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url?.endsWith("/chat/completions")) {
      model.calls++;
      res.on("close", () => {
        if (!res.writableEnded) model.aborted++;
      });
      started();
      return; // never answers
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  model.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return model;
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("deeprecall serve: shutdown with a stream open", () => {
  let model: HangingModel;
  let dir: string;
  beforeAll(async () => {
    model = await hangingModel();
    dir = mkdtempSync(path.join(tmpdir(), "deeprecall-serve-shutdown-"));
  });
  afterAll(async () => {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends the stream with server_shutting_down and [DONE] before the grace period is over, and aborts its model call", async () => {
    const { config } = resolveConfig({
      cwd: dir,
      env: {},
      flags: { backend: "openai-compatible", baseUrl: model.baseUrl, model: "fake-model", cache: "none" },
    });
    const composition = await composeEngine(config);
    const logs: LogEntry[] = [];
    const grace = 2_000;
    const running = await startServer(composition, {
      host: "127.0.0.1",
      port: 0,
      console: false,
      gracePeriodMs: grace,
      handleSignals: false,
      log: (entry) => logs.push(entry),
    });
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "deeprecall",
      stream: true,
      messages: [{ role: "user", content: "Who keeps the lighthouse?" }],
    });
    const chunks: unknown[] = [];
    const read = (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    await model.started;

    const t0 = performance.now();
    const stopped = running.shutdown("SIGINT");

    // The client got the shutdown error (not a cut connection), about 1 s before the grace
    // period's end (timed when the stream ended, not when the engine and store had closed too).
    const error = await read;
    const elapsed = performance.now() - t0;
    await stopped;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ code: "server_shutting_down", type: "server_error" });
    expect(elapsed).toBeGreaterThanOrEqual(grace - 1_050);
    expect(elapsed).toBeLessThan(grace);
    // The model call behind it was aborted, and no other followed.
    await until(() => model.aborted === 1, "the model call to be aborted");
    expect(model.calls).toBe(1);

    const messages = logs.map((l) => l.msg);
    expect(messages).toContain("shutting down");
    expect(messages).toContain(
      'ending 1 open stream with a "server shutting down" error before the grace period is over',
    );
    expect(messages).not.toContain("grace period over, closing remaining connections");
    expect(messages.at(-1)).toBe("stopped");
    const request = logs.find((l) => l.msg === "request" && l.path === "/v1/chat/completions");
    expect(request).toMatchObject({ level: "error", status: 200, errorStatus: 503 });
  });
});
