import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody } from "./harness/http.ts";
import { questionOf, replModel } from "./harness/model.ts";
import { startTestServer, type TestServer } from "./harness/server.ts";
import { waitFor } from "./harness/util.ts";

describe("fault injection: clients disconnect mid-run", () => {
  let server: TestServer;
  let modelAborts = 0;
  const modelCalls = new Set<string>();
  beforeAll(async () => {
    // A slow model (30 s per turn unless aborted): a run can only end early by being aborted.
    server = await startTestServer({
      model: replModel({
        delayMs: 30_000,
        onAbort: () => modelAborts++,
        onCall: (call) => {
          const q = questionOf(call);
          if (q) modelCalls.add(q);
        },
      }),
    });
  });
  afterAll(() => server?.close());

  async function openStream(question: string, controller: AbortController) {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody(question, { stream: true })),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read(); // the role chunk goes out at once
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    return reader;
  }

  it("a streaming client that goes away aborts its engine run and the model call in flight", async () => {
    const before = modelAborts;
    const controller = new AbortController();
    await openStream("streaming disconnect question", controller);
    await waitFor(() => modelCalls.has("streaming disconnect question"), "the model call to start");
    controller.abort();
    await waitFor(
      () => server.recorder.aborted.some((r) => r.query === "streaming disconnect question"),
      "the run to be aborted",
    );
    await waitFor(() => modelAborts > before, "the model call to be cancelled");
  });

  it("a non-streaming client that goes away aborts its run too", async () => {
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chatBody("plain disconnect question")),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await waitFor(
      () => server.recorder.byQuery("plain disconnect question").length === 1,
      "the run to start",
    );
    controller.abort();
    await pending;
    await waitFor(
      () => server.recorder.aborted.some((r) => r.query === "plain disconnect question"),
      "the run to be aborted",
    );
  });

  it("50 concurrent streaming clients that all hang up: every run is aborted, none leaks", async () => {
    const controllers = Array.from({ length: 50 }, () => new AbortController());
    await Promise.all(controllers.map((c, i) => openStream(`crowd question ${i}`, c)));
    await waitFor(
      () => controllers.every((_, i) => server.recorder.byQuery(`crowd question ${i}`).length === 1),
      "all runs to start",
    );
    for (const c of controllers) c.abort();
    await waitFor(() => server.recorder.open.length === 0, "every run to end");
    for (let i = 0; i < controllers.length; i++) {
      const [run] = server.recorder.byQuery(`crowd question ${i}`);
      expect(server.recorder.aborted).toContain(run);
    }
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});
