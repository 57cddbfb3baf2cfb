import { spawn } from "node:child_process";
import { SOURCE_HOOKS } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlakyStore } from "./harness/flaky-store.ts";
import { chatBody, postJson } from "./harness/http.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";

/**
 * Regression tests for the bugs the hardening suite found in other packages (all fixed; see
 * README.md, "Findings"). Each failed before its fix.
 */

describe("bugs found by the hardening suite stay fixed", () => {
  let server: TestServer;
  let store: FlakyStore;
  beforeAll(async () => {
    server = await startTestServer({
      app: { apiKeys: ["sk-known-issues"], rateLimit: 1000 },
      store: (local) => {
        store = new FlakyStore(local);
        return store;
      },
    });
  });
  afterAll(() => server?.close());
  const auth = { authorization: "Bearer sk-known-issues" };

  it("server: openapi.json declares the text/event-stream body as SSE chunk events, not a ChatCompletion", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>
      >;
    };
    const sse = doc.paths["/v1/chat/completions"]!.post!.responses["200"]!.content["text/event-stream"];
    expect(JSON.stringify(sse)).not.toContain('#/components/schemas/ChatCompletion"');
  });

  it("server: with auth on, openapi.json leaves the exempt /health out of bearerAuth", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      security?: unknown[];
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const security = doc.paths["/health"]!.get!.security ?? doc.security;
    expect(security ?? []).toEqual([]);
  });

  it("server: streaming responses carry X-Request-Id and the x-ratelimit-* headers", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(chatBody("Who developed the first compiler?", { stream: true })),
    });
    await res.text();
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1000");
  });

  it("core: a third-party store's raw error on write becomes a 502/503, not a 500", async () => {
    store.errorStyle = "raw";
    store.fault = "down";
    try {
      const res = await postJson(
        `${server.url}/v1/documents`,
        { documents: ["x"], ids: ["raw-1"] },
        { headers: auth },
      );
      expect([502, 503]).toContain(res.status);
    } finally {
      store.fault = "none";
      store.errorStyle = "store-error";
    }
  });

  it("core: the sandbox works under `node --expose-gc` (a flag worker threads reject)", async () => {
    const script = [
      'import { createSandboxPool } from "@deeprecall/core";',
      "const pool = createSandboxPool({ workers: 1 });",
      "const host = { searchDb: async () => [], llmQuery: async () => '', llmQueryBatched: async () => [] };",
      "try { const s = await pool.createSession(host); console.log(JSON.stringify(await s.run('print(6 * 7)'))); await s.dispose(); }",
      "catch (e) { console.log(String(e)); } finally { await pool.close(); }",
    ].join("\n");
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--expose-gc", "--import", SOURCE_HOOKS, "--input-type=module", "-e", script],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let text = "";
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        text += d.toString();
      });
      child.once("error", reject);
      child.once("exit", () => resolve(text));
    });
    expect(out).toContain('"output":"42"');
  });

  it("control: the same headers are present on a non-streaming response", async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(chatBody("Who developed the first compiler?")),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("1000");
  });
});
