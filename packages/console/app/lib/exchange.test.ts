import { describe, expect, it } from "vitest";
import { ANSWER, RECORDED_STREAM } from "./__fixtures__/recorded-stream.ts";
import { chatStreamEvents } from "./chat-events.ts";
import {
  applyStreamEvent,
  type Exchange,
  endExchange,
  historyOf,
  newExchange,
  runElapsedMs,
  serverLimitsOf,
} from "./exchange.ts";
import { readSse } from "./sse.ts";
import { applyTrace } from "./trace.ts";

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
    expect(endExchange(done, { stopped: true }, 5).status).toBe("done");
  });
});

describe("runElapsedMs", () => {
  it("counts from the request's start by the local clock while running, and stops at the end", () => {
    // One early event (the grounding search at 2 ms), then a long model call: no more events.
    let ex = fresh();
    ex = { ...ex, trace: applyTrace(ex.trace, { type: "iteration-start", iteration: 1, elapsed_ms: 2 }) };
    expect(runElapsedMs(ex, 2_500)).toBe(2_500);
    const stopped = endExchange(ex, { stopped: true }, 3_000);
    expect(stopped.endedAt).toBe(3_000);
    // After Stop the clock holds at the end, whenever it is drawn.
    expect(runElapsedMs(stopped, 60_000)).toBe(3_000);
    // The engine's own figure wins when it is further on.
    const ahead = { ...ex, trace: { ...ex.trace, elapsedMs: 4_000 } };
    expect(runElapsedMs(ahead, 3_000)).toBe(4_000);
  });
});

describe("serverLimitsOf", () => {
  it("keeps the server's limits for what the request left unset, for the next question's meter", () => {
    const ex: Exchange = {
      ...newExchange(1, "Q", { ...settings, budget: { max_iterations: 2 } }, {}, 0, { max_cost_usd: 1 }),
      trace: {
        ...fresh().trace,
        budget: {
          iterations: 1,
          search_calls: 0,
          tokens: 10,
          elapsed_seconds: 1,
          cost_usd: null,
          utilization: 0.5,
          exceeded: false,
          exceeded_limit: null,
          limits: { max_iterations: 2, max_time_seconds: 300 },
        },
      },
    };
    expect(serverLimitsOf(ex)).toEqual({ max_cost_usd: 1, max_time_seconds: 300 });
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
