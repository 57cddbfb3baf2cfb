import { describe, expect, it } from "vitest";
import { ANSWER, RECORDED_STREAM } from "./__fixtures__/recorded-stream.ts";
import { chatStreamEvents } from "./chat-events.ts";
import { applyStreamEvent, type Exchange, endExchange, historyOf, newExchange } from "./exchange.ts";
import { readSse } from "./sse.ts";

const settings = { model: "deeprecall", strategy: "repl" as const, budget: {} };
const fresh = (id = 1, question = "Who founded Acme?") => newExchange(id, question, settings, {}, 0);

async function replay(ex: Exchange, text: string): Promise<Exchange> {
  let out = ex;
  await readSse(new Response(text).body!, (m) => {
    for (const e of chatStreamEvents(m)) out = applyStreamEvent(out, e);
  });
  return out;
}

describe("applyStreamEvent", () => {
  it("assembles a recorded stream into a finished exchange", async () => {
    const ex = await replay(fresh(), RECORDED_STREAM);
    expect(ex.status).toBe("done");
    expect(ex.answer).toBe(ANSWER);
    expect(ex.progress).toBe("Iteration 1: thinking…");
    expect(ex.annotations).toHaveLength(2);
    expect(ex.finishReason).toBe("stop");
    expect(ex.usage?.total_tokens).toBe(45);
    expect(ex.extension?.sources.map((s) => s.id)).toEqual(["acme", "jane"]);
    expect(ex.trace.iterations).toHaveLength(2);
    expect(ex.trace.budget?.iterations).toBe(2);
  });

  it("ends in error with the server's message on an error event", async () => {
    const ex = await replay(
      fresh(),
      'data: {"choices":[{"delta":{"content":"Part"}}]}\n\ndata: {"error":{"message":"Budget store down","type":"x"}}\n\ndata: [DONE]\n\n',
    );
    expect(ex).toMatchObject({ status: "error", error: "Budget store down", answer: "Part" });
  });
});

describe("endExchange", () => {
  it("says how a stream that stopped without [DONE] ended", () => {
    expect(endExchange(fresh(), { stopped: true }).status).toBe("stopped");
    expect(endExchange(fresh(), { error: "Network down" })).toMatchObject({
      status: "error",
      error: "Network down",
    });
    expect(endExchange({ ...fresh(), finishReason: "stop" }, {}).status).toBe("done");
    expect(endExchange(fresh(), {}).error).toMatch(/ended before the answer was complete/);
    // an exchange already ended stays as it was
    const done = { ...fresh(), status: "done" as const };
    expect(endExchange(done, { stopped: true })).toBe(done);
  });
});

describe("historyOf", () => {
  it("sends each finished question with its answer, skipping stopped, failed and empty ones", () => {
    const list: Exchange[] = [
      { ...fresh(1, "Q1"), status: "done", answer: "A1" },
      { ...fresh(2, "Q2"), status: "stopped", answer: "partial" },
      { ...fresh(3, "Q3"), status: "error", answer: "" },
      { ...fresh(4, "Q4"), status: "done", answer: "  " },
      { ...fresh(5, "Q5"), status: "done", answer: "A5" },
    ];
    expect(historyOf(list)).toEqual([
      { role: "user", content: "Q1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "Q5" },
      { role: "assistant", content: "A5" },
    ]);
  });
});
