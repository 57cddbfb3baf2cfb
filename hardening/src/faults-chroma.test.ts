import { fakeEmbedding } from "@deeprecall/test-utils";
import { ChromaStore } from "@deeprecall/vectorstore-chroma";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, postJson } from "./harness/http.ts";
import { questionOf, replModel } from "./harness/model.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";
import { CHROMA_HINT, ChromaProcess, findChroma } from "./harness/services.ts";
import { isCI, waitFor } from "./harness/util.ts";

const haveChroma = findChroma() !== undefined;
if (!haveChroma && isCI) throw new Error(`CI=true and the Chroma server is missing. ${CHROMA_HINT}`);

const SECRET = "s3cret-chroma-pass";
const KILL_QUESTION = "Chroma fault document 3, search twice";

interface ErrorBody {
  error: { message: string; code: string | null };
}

describe.skipIf(!haveChroma)("fault injection: a real Chroma server killed mid-run", () => {
  let chroma: ChromaProcess;
  let server: TestServer;
  let chromaStore: ChromaStore;
  beforeAll(async () => {
    chroma = await ChromaProcess.start();
    server = await startTestServer({
      store: () => {
        chromaStore = new ChromaStore({
          url: chroma.url.replace("http://", `http://hardening:${SECRET}@`),
          collection: "hardening",
          embedding: fakeEmbedding(),
        });
        return chromaStore;
      },
      // Chroma dies at an exact point of one run: after its first search, before its second.
      model: replModel({
        beforeReply: async (call) => {
          const secondTurn = call.prompt.some((m) => m.role === "assistant");
          if (secondTurn && questionOf(call) === KILL_QUESTION) await chroma.kill();
        },
      }),
      engine: { retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20 } },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await chroma?.stop();
  });

  const batch = (from: number, n: number) => ({
    documents: Array.from(
      { length: n },
      (_, i) => `Chroma fault document ${from + i} about subject ${from + i}.`,
    ),
    ids: Array.from({ length: n }, (_, i) => `chroma-${from + i}`),
  });

  it("kill during a query, refuse writes while down, restart: nothing lost, nothing written twice", async () => {
    const seeded = await chromaStore.count();
    const first = await postJson(`${server.url}/v1/documents`, batch(0, 20));
    expect(first.status).toBe(200);
    expect(await chromaStore.count()).toBe(seeded + 20);

    // Chroma dies between the run's first search (which succeeds) and its second: the store
    // error surfaces as a 5xx vector_store_error, never a 500 or a hang.
    const res = await postJson<ErrorBody>(
      `${server.url}/v1/chat/completions`,
      chatBody(KILL_QUESTION, { deeprecall: { no_cache: true } }),
    );
    expect([502, 503]).toContain(res.status);
    expect(res.body.error.code).toBe("vector_store_error");
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const [run] = server.recorder.byQuery(KILL_QUESTION);
    expect(run?.errors.length).toBeGreaterThan(0);

    // Down: queries and writes get the documented errors.
    const query = await postJson<ErrorBody>(
      `${server.url}/v1/chat/completions`,
      chatBody("subject 5", { deeprecall: { no_cache: true } }),
    );
    expect([502, 503]).toContain(query.status);
    expect(query.body.error.code).toBe("vector_store_error");
    expect(JSON.stringify(query.body)).not.toContain(SECRET);
    const write = await postJson<ErrorBody>(`${server.url}/v1/documents`, batch(20, 10));
    expect([502, 503]).toContain(write.status);
    expect(JSON.stringify(write.body)).not.toContain(SECRET);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    // Back (same data directory): everything written before is there, exactly once.
    await chroma.up();
    await waitFor(
      async () => (await postJson(`${server.url}/v1/search`, { query: "subject 7" })).status === 200,
      "the store to answer again",
      { timeoutMs: 60_000, everyMs: 250 },
    );
    expect(await chromaStore.count()).toBe(seeded + 20);
    // The client retries the refused batch, twice (it cannot know whether the first attempt landed).
    expect((await postJson(`${server.url}/v1/documents`, batch(20, 10))).status).toBe(200);
    expect((await postJson(`${server.url}/v1/documents`, batch(20, 10))).status).toBe(200);
    expect(await chromaStore.count()).toBe(seeded + 30);
    const answer = await postJson<{ choices: Array<{ message: { content: string } }> }>(
      `${server.url}/v1/chat/completions`,
      chatBody("Chroma fault document 25", { deeprecall: { no_cache: true } }),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.choices[0]!.message.content).toContain("Chroma fault document");
  }, 180_000);
});
