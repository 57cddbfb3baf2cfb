import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine, type QueryBudget } from "@deeprecall/core";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { startServer } from "./serve.ts";

// The /mcp endpoint of createApp, used by the MCP SDK's own client over a real port, behind the
// same Bearer auth as the OpenAI routes. The LLM is the only double.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function model(replies: string[]) {
  let i = 0;
  return new MockLanguageModelV4({
    doGenerate: async () => ({
      content: [{ type: "text", text: replies[i++] ?? "FINAL(out of script)" }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 5, text: 5, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

async function serveWithMcp(budget?: QueryBudget) {
  const dir = await mkdtemp(join(tmpdir(), "deeprecall-server-mcp-"));
  const engine = new DeepRecallEngine({
    vectorStore: new LocalStore({ directory: dir }),
    model: model([
      "```repl\nprint(searchDb('Acme founded')[0].content)\n```",
      "FINAL(Jane Doe founded Acme.)",
    ]),
  });
  await engine.addDocuments({
    documents: ["Acme was founded by Jane Doe in 1999.", "Paris is mild in spring."],
  });
  const server = await startServer({
    app: createApp(engine, { apiKeys: ["sk-mcp"], mcp: true, ...(budget ? { budget } : {}) }),
  });
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => engine.close());
  cleanups.push(() => server.close());
  return server.url;
}

describe("/mcp on the server", () => {
  it("serves the search and ask tools to an MCP client with a valid key", async () => {
    const url = await serveWithMcp();
    const client = new Client({ name: "server-mcp-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: "Bearer sk-mcp" } },
      }),
    );
    cleanups.push(() => client.close());
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);
    const search = await client.callTool({ name: "search", arguments: { query: "Acme founded", top_k: 1 } });
    expect(JSON.stringify(search.content)).toContain("Jane Doe");
    const ask = await client.callTool({ name: "ask", arguments: { question: "Who founded Acme?" } });
    expect(ask.isError).toBeFalsy();
    expect(JSON.stringify(ask.content)).toContain("Jane Doe founded Acme.");
  });

  it("runs ask under createApp's budget: an MCP client cannot raise it", async () => {
    const url = await serveWithMcp({ maxSearchCalls: 1 });
    const client = new Client({ name: "server-mcp-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: "Bearer sk-mcp" } },
      }),
    );
    cleanups.push(() => client.close());
    const ask = await client.callTool({
      name: "ask",
      arguments: { question: "Who founded Acme?", max_search_calls: 50 },
    });
    // The grounding search was the one allowed: the block's searchDb was refused.
    expect((ask.structuredContent as { error: string | null }).error).toMatch(/maxSearchCalls \(limit 1\)/);
  });

  it("refuses MCP requests without the API key", async () => {
    const url = await serveWithMcp();
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("Missing API key");
  });
});
