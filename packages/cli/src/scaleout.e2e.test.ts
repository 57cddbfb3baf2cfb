import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RedisServerProcess, redisServerMissing, skipOrFailForMissing } from "@deeprecall/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliArgs, runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

// The CLI's wiring of shared state (--redis-url), metrics (--metrics) and MCP (--mcp, `deeprecall
// mcp`), through real processes: a real redis-server, two `serve` replicas, the MCP SDK's client.

let root: string;
let redis: RedisServerProcess | undefined;
const missingRedis = redisServerMissing();
// Outside CI, a machine without redis-server skips the two tests that need it, saying so.
const redisSkip = missingRedis ? skipOrFailForMissing(missingRedis) : "";
let llm: FakeLlm;
const serves: ServeProcess[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-cli-scaleout-"));
  if (!redisSkip) redis = await RedisServerProcess.start();
  llm = await startFakeLlm();
});

afterAll(async () => {
  await Promise.all(serves.map((s) => s.stop()));
  await llm?.close();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

function dir(name: string): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe("serve --redis-url", () => {
  it.skipIf(redisSkip)(`two replicas share one fleet-wide rate limit${redisSkip}`, async () => {
    const redisUrl = redis!.url;
    const flags = ["--port", "0", "--rate-limit", "6", "--redis-url", redisUrl, "--metrics", "on"];
    const a = await startServe(flags, { cwd: dir("replica-a") });
    serves.push(a);
    const b = await startServe(flags, { cwd: dir("replica-b") });
    serves.push(b);
    expect(a.stdout()).toContain("fleet-wide, in Redis");
    expect(a.stdout()).not.toContain(redisUrl.split("//")[1]!); // the URL may hold a password: never printed

    // 20 concurrent requests spread over both replicas: exactly 6 pass, fleet-wide.
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/v1/models`)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(14);
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(redisSkip)(
    `without --rate-limit, the failed-auth throttle is still shared by the replicas${redisSkip}`,
    async () => {
      const flags = ["--port", "0", "--api-keys", "sk-fleet-key", "--redis-url", redis!.url];
      const a = await startServe(flags, { cwd: dir("throttle-a") });
      serves.push(a);
      const b = await startServe(flags, { cwd: dir("throttle-b") });
      serves.push(b);
      expect(a.stdout()).toContain("Rate limit: off");
      // Wrong keys from one address, alternating between the replicas: the default burst of 10
      // failures is counted once in Redis (in memory, each replica would allow 10 of its own, and
      // all 14 would be 401). Sent at once: the bucket refills a failure every 2 s, so one by one
      // on a slow machine an 11th could pass as a fresh 401.
      const responses = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          fetch(`${(i % 2 ? a : b).url}/v1/models`, { headers: { authorization: `Bearer sk-wrong-${i}` } }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    },
  );

  it("serves Prometheus metrics when asked", async () => {
    const s = await startServe(["--port", "0", "--metrics", "on"], { cwd: dir("metrics") });
    serves.push(s);
    await fetch(`${s.url}/health`);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/# TYPE \S+ counter/);
  });

  it("rejects a malformed Redis URL with one line naming the flag", async () => {
    const run = await runCli(["serve", "--port", "0", "--redis-url", "http://not-redis"], {
      cwd: dir("bad-redis"),
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/--redis-url: expected a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe("MCP", () => {
  const llmFlags = () => [
    "--backend",
    "openai-compatible",
    "--base-url",
    llm.baseUrl,
    "--model",
    "fake-model",
  ];

  it("`deeprecall mcp` serves search and ask over stdio to the MCP SDK client", async () => {
    const cwd = dir("mcp-stdio");
    writeFileSync(path.join(cwd, "fact.txt"), "The lighthouse of Fredville was built in 1887 by Ada Quill.");
    const ingest = await runCli(["ingest", "--path", "fact.txt"], { cwd });
    expect(ingest.code).toBe(0);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: cliArgs(["mcp", ...llmFlags()]),
      cwd,
      env: cleanEnv({ DEEPRECALL_LLM_API_KEY: "sk-fake" }),
      stderr: "pipe",
    });
    const client = new Client({ name: "cli-mcp-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);
      const search = await client.callTool({
        name: "search",
        arguments: { query: "lighthouse Fredville", top_k: 3 },
      });
      expect(search.isError).toBeFalsy();
      expect(JSON.stringify(search.content)).toContain("Ada Quill");
    } finally {
      await client.close();
    }
  });

  it("serve --mcp on exposes /mcp behind the API keys", async () => {
    const s = await startServe(["--port", "0", "--mcp", "on", "--api-keys", "sk-mcp-cli"], {
      cwd: dir("mcp-http"),
    });
    serves.push(s);
    expect(s.stdout()).toContain("/mcp");
    const denied = await fetch(`${s.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(denied.status).toBe(401);
    const client = new Client({ name: "cli-mcp-http", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), {
        requestInit: { headers: { authorization: "Bearer sk-mcp-cli" } },
      }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);
    } finally {
      await client.close();
    }
  });
});
