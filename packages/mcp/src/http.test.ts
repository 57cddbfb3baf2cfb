import type { AddressInfo } from "node:net";
import type { DeepRecallEngine } from "@deeprecall/core";
import { apiKeyAuth } from "@deeprecall/middleware";
import {
  abortProbe,
  SEED_INVESTIGATION as INVESTIGATION,
  scriptedModel as scripted,
  seededEngine,
} from "@deeprecall/test-utils";
import { serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { type McpHttpOptions, mcpHttpHandler } from "./index.ts";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The app shape the DeepRecall server uses: auth in front, then `/mcp` mounted with one line. */
async function start(engine: DeepRecallEngine, options?: McpHttpOptions) {
  const app = new Hono();
  app.use("*", apiKeyAuth({ apiKeys: ["sk-test"] }));
  app.all("/mcp", mcpHttpHandler(engine, options));
  const url = await new Promise<string>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    server.once("error", reject);
    cleanup.push(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          if ("closeAllConnections" in server) server.closeAllConnections();
        }),
    );
  });
  return url;
}

async function connect(url: string, apiKey = "sk-test") {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
  });
  const client = new Client({ name: "http-test", version: "1.0.0" });
  await client.connect(transport);
  cleanup.push(() => client.close());
  return client;
}

describe("mcpHttpHandler: Streamable HTTP on a real port behind auth", () => {
  it("serves search and ask (with progress over SSE) to the SDK's HTTP client", async () => {
    const url = await start(await seededEngine(scripted(INVESTIGATION)));
    const client = await connect(url);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);

    const search = await client.callTool({ name: "search", arguments: { query: "Acme founded", top_k: 1 } });
    expect((search.structuredContent as { results: Array<{ id: string }> }).results[0]!.id).toBe("acme");

    const progress: string[] = [];
    const ask = await client.callTool(
      { name: "ask", arguments: { question: "Who founded Acme?" } },
      undefined,
      {
        onprogress: (p) => {
          if (p.message) progress.push(p.message);
        },
      },
    );
    expect(ask.isError, JSON.stringify(ask.content)).toBeFalsy();
    const out = ask.structuredContent as { answer: string; sources: Array<{ id: string }> };
    expect(out.answer).toBe("Jane Doe founded Acme in 1999.");
    expect(out.sources.map((s) => s.id)).toContain("acme");
    expect(progress.some((m) => m.startsWith("Iteration 1"))).toBe(true);
  });

  it("is behind the app's auth: no key or a wrong key gets a 401 and never reaches MCP", async () => {
    const model = scripted([]);
    const url = await start(await seededEngine(model));
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: {} };
    const noKey = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(init),
    });
    expect(noKey.status).toBe(401);
    await noKey.body?.cancel();
    await expect(connect(url, "sk-wrong")).rejects.toThrow();
  });

  it("answers GET and DELETE with 405: the endpoint is stateless", async () => {
    const url = await start(await seededEngine(scripted([])));
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(`${url}/mcp`, {
        method,
        headers: { authorization: "Bearer sk-test", accept: "text/event-stream" },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      await response.body?.cancel();
    }
  });

  it("answers with plain JSON bodies when jsonResponse is set", async () => {
    const url = await start(await seededEngine(scripted([])), { jsonResponse: true });
    const response = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        authorization: "Bearer sk-test",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "curl", version: "0" },
        },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as { result: { serverInfo: { name: string } } };
    expect(body.result.serverInfo.name).toBe("deeprecall");

    const client = await connect(url);
    const search = await client.callTool({ name: "search", arguments: { query: "weather Paris", top_k: 1 } });
    expect((search.structuredContent as { results: Array<{ id: string }> }).results[0]!.id).toBe("weather");
  });

  it("a client that disconnects mid-ask aborts the engine run", async () => {
    const probe = abortProbe();
    const model = scripted([probe.reply]);
    const url = await start(await seededEngine(model, { retry: { maxRetries: 0 } }));
    const controller = new AbortController();
    const headers = {
      authorization: "Bearer sk-test",
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    const response = fetch(`${url}/mcp`, {
      method: "POST",
      headers,
      signal: controller.signal,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "ask", arguments: { question: "q" } },
      }),
    });
    await probe.started;
    controller.abort();
    await response.then((r) => r.body?.cancel()).catch(() => {});
    await expect.poll(() => probe.aborted, { timeout: 15_000 }).toBe(true);
  });
});
