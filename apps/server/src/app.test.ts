import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../../../packages/cli/src/testing/cli-process.ts";
import { type FakeLlm, ragScript, startFakeLlm } from "../../../packages/cli/src/testing/fake-llm.ts";
import { configFromEnv, gracePeriodMs, jsonLogger } from "./app.ts";

// The workspace loader hook (SOURCE_HOOKS in @deeprecall/test-utils, which this app does not depend on).
const HOOKS = fileURLToPath(new URL("../../../packages/test-utils/src/source-hooks.ts", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

interface AppProcess {
  child: ChildProcess;
  url: string;
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function parseLogs(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Starts apps/server (from sources) and resolves once its "listening" log line appears. */
function startApp(env: Record<string, string>): Promise<AppProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", HOOKS, MAIN], {
      env: cleanEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      const listening = stdout.includes('"msg":"listening"')
        ? parseLogs(stdout).find((l) => l.msg === "listening")
        : undefined;
      if (listening) resolve({ child, url: String(listening.url), logs: () => parseLogs(stdout), exited });
    });
    void exited.then((code) =>
      reject(new Error(`app exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`)),
    );
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-app-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("configuration from the environment", () => {
  it("binds 0.0.0.0 by default, honours DEEPRECALL_HOST, and validates the grace period", () => {
    expect(configFromEnv({}, root).config.host).toBe("0.0.0.0");
    expect(configFromEnv({ DEEPRECALL_HOST: "127.0.0.1" }, root).config.host).toBe("127.0.0.1");
    expect(configFromEnv({ PORT: "9001" }, root).config.port).toBe(9001);
    expect(configFromEnv({}, root).config.maxTime).toBe(300);
    expect(configFromEnv({ DEEPRECALL_MAX_TIME: "30" }, root).config.maxTime).toBe(30);
    expect(configFromEnv({ DEEPRECALL_CORS: "https://a.example.com,*" }, root).config.cors).toEqual([
      "https://a.example.com",
      "*",
    ]);
    expect(configFromEnv({}, root).config.cacheAnswers).toBe("off");
    expect(configFromEnv({ DEEPRECALL_CACHE_ANSWERS: "on" }, root).config.cacheAnswers).toBe("on");
    expect(gracePeriodMs({})).toBe(30_000);
    expect(gracePeriodMs({ DEEPRECALL_SHUTDOWN_GRACE_SECONDS: "2.5" })).toBe(2500);
    expect(() => gracePeriodMs({ DEEPRECALL_SHUTDOWN_GRACE_SECONDS: "soon" })).toThrow(
      'DEEPRECALL_SHUTDOWN_GRACE_SECONDS: expected seconds 0-3600, got "soon" (from environment)',
    );
  });

  it("the JSON logger writes one object per line", () => {
    const lines: string[] = [];
    jsonLogger((l) => lines.push(l))({ level: "info", msg: "hello", requestId: "r1" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", msg: "hello", requestId: "r1" });
    expect(lines[0]!.endsWith("\n")).toBe(true);
  });
});

describe("the deployable server process", () => {
  it("fails to start with one JSON error line naming the bad variable", async () => {
    const child = spawn(process.execPath, ["--import", HOOKS, MAIN], {
      env: cleanEnv({ DEEPRECALL_PORT: "abc", DEEPRECALL_PERSIST_DIR: path.join(root, "bad") }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    const code = await new Promise<number | null>((res) => child.once("exit", (c) => res(c)));
    expect(code).toBe(1);
    const logs = parseLogs(stdout);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: "error", msg: "startup failed" });
    expect(logs[0]!.error).toBe(
      'DEEPRECALL_PORT: expected an integer 1-65535 (0 = any free port), got "abc" (from environment)',
    );
  });

  describe("with a fake LLM", () => {
    let llm: FakeLlm;
    let release: () => void = () => {};
    let gate: Promise<void> = Promise.resolve();
    beforeAll(async () => {
      llm = await startFakeLlm({
        script: async (request, index) => {
          await gate;
          return ragScript(request, index);
        },
      });
    });
    afterAll(() => llm.close());

    it("logs requests as JSON with request ids, and on SIGTERM finishes the in-flight request before exiting", async () => {
      const app = await startApp({
        DEEPRECALL_HOST: "127.0.0.1",
        DEEPRECALL_PORT: "0",
        DEEPRECALL_PERSIST_DIR: path.join(root, "store"),
        DEEPRECALL_BASE_URL: llm.baseUrl,
        DEEPRECALL_MODEL: "fake-model",
        DEEPRECALL_API_KEYS: "sk-app-key-000000001",
        DEEPRECALL_SHUTDOWN_GRACE_SECONDS: "60",
        DEEPRECALL_CORS: "https://app.example.com",
        DEEPRECALL_EMBEDDING_MODEL: "fake-embed",
      });
      const auth = { authorization: "Bearer sk-app-key-000000001", "content-type": "application/json" };
      const listening = app.logs().find((l) => l.msg === "listening")!;
      // On the local store it says where it listens, so `deeprecall ingest` can go through it.
      const adverts = () => readdirSync(path.join(root, "store")).filter((n) => /^serve-\d+\.json$/.test(n));
      expect(adverts()).toEqual([`serve-${app.child.pid}.json`]);
      expect(listening).toMatchObject({
        documents: 0,
        model: `openai-compatible fake-model at ${llm.baseUrl}`,
        // The default per-query time budget.
        budget: { maxTimeSeconds: 300 },
        cors: ["https://app.example.com"],
        cache: "searches",
        embeddings: "fake-embed",
      });
      const preflight = await fetch(`${app.url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(preflight.headers.get("access-control-expose-headers")).toContain("x-request-id");
      const embeddings = await fetch(`${app.url}/v1/embeddings`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "fake-embed", input: "lighthouse" }),
      });
      expect(embeddings.status).toBe(200);
      expect(
        ((await embeddings.json()) as { data: Array<{ embedding: number[] }> }).data[0]!.embedding,
      ).toHaveLength(256);
      expect(String(listening.auth)).toMatch(/^on \(1 keys: sk-…0001\)$/);
      expect(JSON.stringify(app.logs())).not.toContain("sk-app-key-000000001");

      const add = await fetch(`${app.url}/v1/documents`, {
        method: "POST",
        headers: { ...auth, "x-request-id": "req-add-1" },
        body: JSON.stringify({
          documents: ["The lighthouse keeper's name is Ingrid."],
          metadatas: [{ filename: "keeper.txt" }],
        }),
      });
      expect(add.status).toBe(200);
      expect(add.headers.get("x-request-id")).toBe("req-add-1");
      await until(() => app.logs().some((l) => l.requestId === "req-add-1"), "the request log line");
      expect(app.logs().find((l) => l.requestId === "req-add-1")).toMatchObject({
        level: "info",
        msg: "request",
        method: "POST",
        path: "/v1/documents",
        status: 200,
      });

      // Hold the model so the chat request is in flight when SIGTERM arrives.
      gate = new Promise((r) => {
        release = r;
      });
      const before = llm.requests.length;
      const chat = fetch(`${app.url}/v1/chat/completions`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ messages: [{ role: "user", content: "Who keeps the lighthouse?" }] }),
      });
      await until(() => llm.requests.length > before, "the model call");
      app.child.kill("SIGTERM");
      await until(() => app.logs().some((l) => l.msg === "shutting down"), "the shutdown log line");
      // No new connections once shutting down.
      await expect(fetch(`${app.url}/health`)).rejects.toThrow();
      release();
      const response = await chat;
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]!.message.content).toContain("Ingrid");
      expect(await app.exited).toBe(0);
      expect(app.logs().at(-1)).toMatchObject({ level: "info", msg: "stopped" });
      expect(adverts()).toEqual([]);
    });
  });
});
