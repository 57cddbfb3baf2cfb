import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppProcess } from "./harness/app-process.ts";
import { type FakeLlm, type FakeLlmScript, ragReply, startFakeLlm } from "./harness/fake-llm.ts";
import { chatBody, getJson, postJson, readSse, streamedAnswer } from "./harness/http.ts";
import { waitFor } from "./harness/util.ts";

const DOCS = {
  documents: [
    "Grace Hopper developed the first compiler, A-0, in 1952.",
    "Ada Lovelace wrote the first published algorithm in 1843.",
    "The Analytical Engine was designed by Charles Babbage.",
  ],
  ids: ["sig-1", "sig-2", "sig-3"],
};

describe("fault injection: SIGTERM with runs in flight (apps/server as a child process)", () => {
  let llm: FakeLlm;
  let dir: string;
  // Every model turn takes 1.5 s, so the runs are surely in flight when the signal lands.
  const slowRag: FakeLlmScript = (call) => ({
    ...(ragReply(call) as { kind: "reply"; text: string }),
    delayMs: 1_500,
  });
  beforeAll(async () => {
    llm = await startFakeLlm(slowRag);
    dir = await mkdtemp(join(tmpdir(), "deeprecall-sigterm-"));
  });
  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    DEEPRECALL_HOST: "127.0.0.1",
    DEEPRECALL_PORT: "0",
    DEEPRECALL_PERSIST_DIR: dir,
    DEEPRECALL_BASE_URL: llm.baseUrl,
    DEEPRECALL_MODEL: "fake-model",
    DEEPRECALL_CACHE: "none",
    DEEPRECALL_SHUTDOWN_GRACE_SECONDS: "60",
  });

  it("in-flight requests (streaming and not) all finish, new ones are refused, exit 0, documents intact", async () => {
    const app = await startAppProcess(env());
    expect((await postJson(`${app.url}/v1/documents`, DOCS)).status).toBe(200);

    const callsBefore = llm.calls.length;
    const question = "Who developed the first compiler?";
    const plain = Array.from({ length: 4 }, () =>
      postJson<{ choices: Array<{ message: { content: string } }> }>(
        `${app.url}/v1/chat/completions`,
        chatBody(question),
      ),
    );
    const streams = Array.from({ length: 4 }, () =>
      fetch(`${app.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chatBody(question, { stream: true })),
      }).then(readSse),
    );
    await waitFor(() => llm.calls.length - callsBefore >= 8, "all 8 runs to reach the model");
    app.child.kill("SIGTERM");

    for (const res of await Promise.all(plain)) {
      expect(res.status).toBe(200);
      expect(res.body.choices[0]!.message.content).toContain("Grace Hopper");
    }
    for (const sse of await Promise.all(streams)) {
      expect(sse.status).toBe(200);
      expect(sse.done).toBe(true);
      expect(streamedAnswer(sse.events)).toContain("Grace Hopper");
      expect(sse.events.some((e) => "error" in e)).toBe(false);
    }
    expect(await app.exited).toBe(0);
    expect(app.logs().some((l) => l.msg === "stopped")).toBe(true);
    await expect(fetch(`${app.url}/health`)).rejects.toThrow();

    // A fresh process on the same data: every document is there, exactly once.
    const again = await startAppProcess(env());
    try {
      const health = await getJson<{ documents: number }>(`${again.url}/health`);
      expect(health.body.documents).toBe(DOCS.documents.length);
      expect((await postJson(`${again.url}/v1/documents`, DOCS)).status).toBe(200);
      expect((await getJson<{ documents: number }>(`${again.url}/health`)).body.documents).toBe(
        DOCS.documents.length,
      );
    } finally {
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);
    }
  }, 120_000);

  it("streams that outlive the grace period get server_shutting_down and [DONE] (Responses: response.failed) before the cut, and their model calls are aborted", async () => {
    const app = await startAppProcess({ ...env(), DEEPRECALL_SHUTDOWN_GRACE_SECONDS: "2" });
    try {
      llm.setScript(() => ({ kind: "hang" }));
      const callsBefore = llm.calls.length;
      const post = (path: string, body: unknown) =>
        fetch(`${app.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const chat = post(
        "/v1/chat/completions",
        chatBody("Who wrote the first algorithm?", { stream: true }),
      ).then(readSse);
      const responses = post("/v1/responses", { model: "deeprecall", stream: true, input: "Who?" }).then(
        readSse,
      );
      await waitFor(() => llm.calls.length - callsBefore >= 2, "both runs to reach the model");
      app.child.kill("SIGTERM");

      const chatSse = await chat;
      expect(chatSse.status).toBe(200);
      expect(chatSse.done).toBe(true);
      expect(chatSse.events.at(-1)).toMatchObject({
        error: { type: "server_error", code: "server_shutting_down", param: null },
      });
      const responseSse = await responses;
      expect(responseSse.events.slice(-2).map((e) => e.type)).toEqual(["error", "response.failed"]);
      expect(responseSse.events.at(-2)).toMatchObject({ code: "server_shutting_down" });
      expect(await app.exited).toBe(0);
      // Ended 1 s before the 2 s grace period is over; the process exits without waiting for the
      // cut. Told by the server's own log: no "grace period over" line (every connection closed
      // before it), and the streams ended 1 s after "shutting down". Not timed from this process's
      // kill(): that added the signal's delivery and this process's delays to a 1 s slack.
      expect(app.logs().some((l) => l.msg === "grace period over, closing remaining connections")).toBe(
        false,
      );
      const ended = app.logs().find((l) => l.streams === 2);
      expect(ended).toMatchObject({ level: "warn" });
      const shutdownAt = Date.parse(String(app.logs().find((l) => l.msg === "shutting down")?.time));
      const endedAfter = Date.parse(String(ended?.time)) - shutdownAt;
      expect(endedAfter).toBeGreaterThanOrEqual(900);
      expect(endedAfter).toBeLessThan(2_000);
      await waitFor(
        () => llm.calls.slice(callsBefore).every((c) => c.clientAborted),
        "the model calls to be aborted",
      );
    } finally {
      llm.setScript(slowRag);
      if (app.child.exitCode === null) app.child.kill("SIGKILL");
    }
  }, 60_000);
});
