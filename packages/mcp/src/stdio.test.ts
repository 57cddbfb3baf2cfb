import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./__fixtures__/stdio-server.ts", import.meta.url));

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe("runStdio: a spawned process speaking MCP over stdio", () => {
  it("serves search and ask to the SDK's stdio client, then exits when the client closes", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--conditions=@deeprecall/source", "--no-warnings", FIXTURE],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: "stdio-test", version: "1.0.0" });
    clients.push(client);
    await client.connect(transport);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["ask", "search"]);

    const search = await client.callTool({ name: "search", arguments: { query: "Acme founded", top_k: 1 } });
    expect((search.structuredContent as { results: Array<{ id: string }> }).results.map((r) => r.id)).toEqual(
      ["acme"],
    );

    const ask = await client.callTool({ name: "ask", arguments: { question: "Who founded Acme?" } });
    expect(ask.isError, JSON.stringify(ask.content)).toBeFalsy();
    expect((ask.structuredContent as { answer: string }).answer).toBe("Jane Doe founded Acme in 1999.");

    const pid = transport.pid;
    expect(pid).toBeTypeOf("number");
    await client.close();
    // The server noticed stdin closing and shut down cleanly (engine closed, nothing on stdout but protocol).
    await expect.poll(() => stderr, { timeout: 15_000 }).toContain("deeprecall-mcp-fixture: closed");
  });
});
