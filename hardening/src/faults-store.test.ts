import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlakyStore } from "./harness/flaky-store.ts";
import { chatBody, getJson, postJson } from "./harness/http.ts";
import { SEED_DOCUMENTS, startTestServer, type TestServer } from "./harness/server.ts";

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

describe("fault injection: the vector store goes down and comes back", () => {
  let server: TestServer;
  let store: FlakyStore;
  beforeAll(async () => {
    server = await startTestServer({
      store: (local) => {
        store = new FlakyStore(local);
        return store;
      },
    });
  });
  afterAll(() => server?.close());

  it("store down before a query: a 5xx vector_store_error, then recovery once it is back", async () => {
    store.fault = "down";
    const down = await postJson<ErrorBody>(
      `${server.url}/v1/chat/completions`,
      chatBody("Who was Ada Lovelace?"),
    );
    expect([502, 503]).toContain(down.status);
    expect(down.body.error.code).toBe("vector_store_error");
    expect(down.body.error.message).toContain("local");
    expect(JSON.stringify(down.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    const search = await postJson<ErrorBody>(`${server.url}/v1/search`, { query: "Ada" });
    expect([502, 503]).toContain(search.status);

    const health = await getJson<{ status: string; documents: number | null }>(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("degraded");

    store.fault = "none";
    const up = await postJson<{ choices: Array<{ message: { content: string } }> }>(
      `${server.url}/v1/chat/completions`,
      chatBody("Who was Ada Lovelace?"),
    );
    expect(up.status).toBe(200);
    expect(up.body.choices[0]!.message.content).toContain("Ada Lovelace");
  });

  it("store dies during a query (between its first and second search): the run fails with the store error", async () => {
    store.searches = 0;
    store.searchesBeforeFailure = 1;
    store.fault = "fail-search-after";
    const res = await postJson<ErrorBody>(
      `${server.url}/v1/chat/completions`,
      chatBody("Analytical Engine, search twice", { deeprecall: { no_cache: true } }),
    );
    store.fault = "none";
    expect(store.searches).toBeGreaterThanOrEqual(2); // the first search went through
    expect([502, 503]).toContain(res.status);
    expect(res.body.error.code).toBe("vector_store_error");
    const run = server.recorder.byQuery("Analytical Engine, search twice")[0];
    expect(run?.errors.length).toBeGreaterThan(0);
    expect(server.recorder.open).toEqual([]);
  });

  it("writes while the store is down are refused whole, and the retry writes each document exactly once", async () => {
    const before = await server.store.count();
    const batch = {
      documents: ["Fault doc one about tidal power.", "Fault doc two about geothermal heat."],
      ids: ["fault-1", "fault-2"],
      metadatas: [{ source: "faults" }, { source: "faults" }],
    };
    store.fault = "down";
    const refused = await postJson<ErrorBody>(`${server.url}/v1/documents`, batch);
    expect([502, 503]).toContain(refused.status);
    store.fault = "none";
    expect(await server.store.count()).toBe(before);

    const ok = await postJson<{ ids: string[]; count: number }>(`${server.url}/v1/documents`, batch);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ids: ["fault-1", "fault-2"], count: 2 });
    expect(await server.store.count()).toBe(before + 2);

    // The client retries the same batch (it never saw the 200): nothing is written twice.
    const again = await postJson(`${server.url}/v1/documents`, batch);
    expect(again.status).toBe(200);
    expect(await server.store.count()).toBe(before + 2);
    const hits = await postJson<{ data: Array<{ id: string }> }>(`${server.url}/v1/search`, {
      query: "tidal power",
      top_k: 10,
    });
    expect(hits.body.data.filter((h) => h.id === "fault-1")).toHaveLength(1);
    // The seed documents are all still there.
    expect(await server.store.count()).toBe(SEED_DOCUMENTS.length + 2);
  });
});
