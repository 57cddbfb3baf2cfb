import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  chatRequest,
  deleteRequest,
  documentsRequest,
  rawRequest,
  searchRequest,
  validishChat,
  validishDocuments,
} from "./properties.ts";
import { SEED_DOCUMENTS, startTestServer, type TestServer } from "./server.ts";

/** Runs per property; the stress suite runs the same properties with many more. */
export const FAST_RUNS = Number(process.env.HARDENING_FUZZ_RUNS ?? 150);

export function describeFuzz(runs: number, seedOffset = 0) {
  let server: TestServer;
  let inputsTried = 0;
  beforeAll(async () => {
    server = await startTestServer({ engine: { budget: { maxTimeSeconds: 20 } } });
  });
  afterAll(async () => {
    console.info(`[hardening] fast-check inputs tried: ${inputsTried}`);
    await server?.close();
  });

  async function send(
    method: string,
    path: string,
    body: string | undefined,
    contentType = "application/json",
  ) {
    inputsTried++;
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: contentType ? { "content-type": contentType } : {},
      ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { body } : {}),
    });
    const text = await res.text();
    return { res, text };
  }

  /** The invariants every response keeps, whatever came in. */
  function checkResponse(res: Response, text: string) {
    expect(res.status, text.slice(0, 500)).toBeLessThan(500);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(text).not.toMatch(/\n\s+at .+\.(ts|js):\d+/); // no stack traces
    if (res.status >= 400 && text !== "" && res.headers.get("content-type")?.includes("json")) {
      const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } };
      expect(typeof body.error?.message).toBe("string");
      expect(typeof body.error?.type).toBe("string");
    }
  }

  it("POST /v1/chat/completions: any body gets a 2xx or a clear 4xx, never a 5xx or a hang", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(chatRequest, validishChat), async (body) => {
        const { res, text } = await send("POST", "/v1/chat/completions", JSON.stringify(body));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        checkResponse(res, text);
        if (res.status === 200 && !res.headers.get("content-type")?.includes("event-stream")) {
          const json = JSON.parse(text) as { object: string; choices: unknown[] };
          expect(json.object).toBe("chat.completion");
          expect(json.choices).toHaveLength(1);
        }
        if (res.status === 200 && res.headers.get("content-type")?.includes("event-stream")) {
          expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
        }
      }),
      { numRuns: runs, seed: 7 + seedOffset },
    );
    // The property reached the engine, not just the validator.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(runs / 10);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  it("POST/DELETE /v1/documents and POST /v1/search: any body, and the store keeps exactly what was acknowledged", async () => {
    const acknowledged = new Set<string>(
      (await server.store.count()) > 0 ? SEED_DOCUMENTS.map((_, i) => `seed-${i}`) : [],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          documentsRequest.map((b) => ["add", b] as const),
          validishDocuments.map((b) => ["add", b] as const),
          deleteRequest.map((b) => ["delete", b] as const),
          searchRequest.map((b) => ["search", b] as const),
        ),
        async ([kind, body]) => {
          const path = kind === "search" ? "/v1/search" : "/v1/documents";
          const method = kind === "delete" ? "DELETE" : "POST";
          const { res, text } = await send(method, path, JSON.stringify(body));
          checkResponse(res, text);
          if (res.status === 200 && kind === "add")
            for (const id of (JSON.parse(text) as { ids: string[] }).ids) acknowledged.add(id);
          if (res.status === 200 && kind === "delete")
            for (const id of (body as { ids: string[] }).ids) acknowledged.delete(id);
          expect(await server.store.count()).toBe(acknowledged.size);
        },
      ),
      { numRuns: runs, seed: 11 + seedOffset },
    );
    expect(acknowledged.size).toBeGreaterThan(SEED_DOCUMENTS.length); // some writes went through
  });

  it("any method, path, content type and bytes: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(rawRequest, async (r) => {
        const { res, text } = await send(r.method, r.path, r.body, r.contentType);
        checkResponse(res, text);
      }),
      { numRuns: runs, seed: 13 + seedOffset },
    );
  });
}
