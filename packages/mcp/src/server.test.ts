import type { DeepRecallEngine } from "@deeprecall/core";
import {
  abortProbe,
  SEED_INVESTIGATION as INVESTIGATION,
  scriptedModel as scripted,
  seededEngine,
} from "@deeprecall/test-utils";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterEach, describe, expect, it } from "vitest";
import { createMcpServer, type McpServerOptions } from "./index.ts";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

async function connect(engine: DeepRecallEngine, options?: McpServerOptions) {
  const server = createMcpServer(engine, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  cleanup.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

type Source = { id: string; content: string; metadata: Record<string, unknown>; score: number };

describe("createMcpServer over the in-memory transport", () => {
  it("lists search and ask with input and output schemas", async () => {
    const client = await connect(await seededEngine(scripted([])));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);
    const search = tools.find((t) => t.name === "search")!;
    expect(search.inputSchema.required).toEqual(["query"]);
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(["query", "top_k", "filters"]);
    expect(search.outputSchema?.properties).toHaveProperty("results");
    expect(search.annotations?.readOnlyHint).toBe(true);
    const ask = tools.find((t) => t.name === "ask")!;
    expect(ask.inputSchema.required).toEqual(["question"]);
    expect(client.getServerVersion()?.name).toBe("deeprecall");
  });

  it("search returns store hits, structured and as JSON text, without calling the model", async () => {
    const model = scripted([]);
    const client = await connect(await seededEngine(model));
    const result = await client.callTool({
      name: "search",
      arguments: { query: "born in Lyon France", top_k: 2 },
    });
    expect(result.isError).toBeFalsy();
    const { results } = result.structuredContent as { results: Source[] };
    expect(results).toHaveLength(2);
    expect(results[0]!.id).toBe("jane");
    expect(results[0]!.metadata).toMatchObject({ source: "people.txt" });
    expect(results[0]!.score).toBeGreaterThan(0);
    const text = (result.content as Array<{ type: string; text: string }>)[0]!.text;
    expect(JSON.parse(text)).toEqual(result.structuredContent);
    expect(model.doGenerateCalls).toHaveLength(0);
  });

  it("search applies filters and reports a bad filter as a tool error", async () => {
    const client = await connect(await seededEngine(scripted([])));
    const filtered = await client.callTool({
      name: "search",
      arguments: { query: "anything", top_k: 5, filters: { year: { $gte: 2001 } } },
    });
    const ids = (filtered.structuredContent as { results: Source[] }).results.map((r) => r.id).sort();
    expect(ids).toEqual(["jane", "weather"]);

    const bad = await client.callTool({
      name: "search",
      arguments: { query: "x", filters: { year: { $near: 1 } } },
    });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/\$near/);

    const tooMany = await client.callTool({ name: "search", arguments: { query: "x", top_k: 10_000 } });
    expect(tooMany.isError).toBe(true);
  });

  it("ask runs the full engine and returns the answer with sources, usage and progress", async () => {
    const model = scripted(INVESTIGATION);
    const client = await connect(await seededEngine(model));
    const progress: string[] = [];
    const result = await client.callTool(
      { name: "ask", arguments: { question: "Who founded Acme?" } },
      undefined,
      {
        onprogress: (p) => {
          if (p.message) progress.push(p.message);
        },
      },
    );
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as {
      answer: string;
      sources: Source[];
      confidence: number;
      error: string | null;
      usage: { inputTokens: number; calls: number };
    };
    expect(out.answer).toBe("Jane Doe founded Acme in 1999.");
    expect(out.sources.map((s) => s.id)).toContain("acme");
    expect(out.confidence).toBeGreaterThan(0);
    expect(out.error).toBeNull();
    expect(out.usage).toMatchObject({ inputTokens: 20, calls: 2 });
    expect(progress.some((m) => m.includes('Searched "Acme founded"'))).toBe(true);
    expect(JSON.stringify(model.doGenerateCalls[0]!.prompt)).toContain("Who founded Acme?");
  });

  it("ask cuts each source's content to maxSourceChars, with an ellipsis", async () => {
    const client = await connect(await seededEngine(scripted(INVESTIGATION)), { maxSourceChars: 10 });
    const result = await client.callTool({ name: "ask", arguments: { question: "Who founded Acme?" } });
    const { sources } = result.structuredContent as { sources: Source[] };
    const acme = sources.find((s) => s.id === "acme")!;
    expect(acme.content).toBe("Acme Corpo…");
  });

  it("ask honours a client budget (tightened, never loosened, by the server's budget)", async () => {
    const model = scripted([
      "```repl\nprint(searchDb('Acme').length)\ntry { searchDb('Jane') } catch (e) { print('refused') }\n```",
      "FINAL(partial)",
    ]);
    const client = await connect(await seededEngine(model), { budget: { maxSearchCalls: 5 } });
    const result = await client.callTool({ name: "ask", arguments: { question: "q", max_search_calls: 1 } });
    const out = result.structuredContent as { error: string | null };
    expect(out.error).toMatch(/maxSearchCalls/);
  });

  it("ask never lets a client raise the engine's own budget", async () => {
    const model = scripted([
      "```repl\nprint(searchDb('Acme').length)\ntry { searchDb('Jane') } catch (e) { print('refused') }\n```",
      "FINAL(partial)",
    ]);
    const engine = await seededEngine(model, { budget: { maxSearchCalls: 2 } });
    const client = await connect(engine);
    const result = await client.callTool({ name: "ask", arguments: { question: "q", max_search_calls: 50 } });
    const out = result.structuredContent as { error: string | null };
    expect(out.error).toMatch(/maxSearchCalls \(limit 2\)/);
  });

  it("ask reports an engine failure as a tool error without leaking secrets", async () => {
    const model = scripted([
      () => {
        throw new Error("upstream rejected key sk-abcdefghijklmnopqrstuvwxyz123456");
      },
    ]);
    const client = await connect(await seededEngine(model, { retry: { maxRetries: 0 } }));
    const result = await client.callTool({ name: "ask", arguments: { question: "q" } });
    expect(result.isError).toBe(true);
    const text = JSON.stringify(result.content);
    expect(text).toContain("upstream rejected key");
    expect(text).not.toContain("sk-abcdefghijklmnopqrstuvwxyz123456");
  });

  it("exposes only the tools asked for", async () => {
    const client = await connect(await seededEngine(scripted([])), { tools: ["search"] });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["search"]);
  });

  it("cancelling a call aborts the engine's model request", async () => {
    const probe = abortProbe();
    const model = scripted([probe.reply]);
    const client = await connect(await seededEngine(model, { retry: { maxRetries: 0 } }));
    const controller = new AbortController();
    const call = client.callTool({ name: "ask", arguments: { question: "q" } }, undefined, {
      signal: controller.signal,
    });
    await probe.started;
    controller.abort(new Error("client gave up"));
    await expect(call).rejects.toThrow();
    await expect.poll(() => probe.aborted).toBe(true);
  });
});
