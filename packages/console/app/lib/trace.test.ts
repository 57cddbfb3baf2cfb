import { describe, expect, it } from "vitest";
import { RECORDED_STREAM } from "./__fixtures__/recorded-stream.ts";
import type { TraceEvent } from "./api-types.ts";
import { chatStreamEvents } from "./chat-events.ts";
import { readSse } from "./sse.ts";
import { allSearches, applyTrace, emptyTrace, loopIterations, type TraceView } from "./trace.ts";

async function recordedTrace(): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  await readSse(new Response(RECORDED_STREAM).body!, (m) => {
    for (const e of chatStreamEvents(m)) if (e.kind === "trace") out.push(e.event);
  });
  return out;
}

describe("applyTrace", () => {
  it("builds the iterations view of a recorded run", async () => {
    const events = await recordedTrace();
    const view = events.reduce(applyTrace, emptyTrace);
    expect(view.runId).toBe("run-1");
    expect(view.query).toBe("Who founded Acme?");
    expect(view.grounding.map((s) => s.query)).toEqual(["Who founded Acme?"]);
    expect(view.grounding[0]!.hits).toEqual([
      { id: "acme", score: 0.91 },
      { id: "jane", score: 0.42 },
    ]);
    expect(view.iterations.map((it) => it.iteration)).toEqual([1, 2]);
    const [first, second] = view.iterations;
    expect(first!.status).toBe("complete");
    expect(first!.timeMs).toBe(901);
    expect(first!.usage?.total_tokens).toBe(15);
    // Code, its search and sub-LLM call in the order they happened; the output joins its block.
    expect(first!.items.map((i) => i.kind)).toEqual(["code", "search", "sub-llm"]);
    expect(first!.items[0]).toMatchObject({ kind: "code", index: 0, output: "acme\n", error: null });
    expect(first!.items[1]).toMatchObject({
      kind: "search",
      query: "Acme founder",
      cached: true,
      timeMs: 12,
    });
    expect(first!.items[2]).toMatchObject({
      kind: "sub-llm",
      depth: 1,
      prompt: "Where was Jane born?",
      response: "Lyon",
    });
    expect(second!.final).toBe(true);
    expect(second!.modelText).toContain("FINAL(");
    expect(view.tokens).toBe(45);
    expect(view.warnings).toEqual(["80% of max_iterations used"]);
    expect(view.budget?.iterations).toBe(2);
    expect(view.elapsedMs).toBe(1501);
    expect(allSearches(view).map((s) => s.query)).toEqual(["Who founded Acme?", "Acme founder"]);
  });

  it("shows a partial run while it is live: the running iteration and a block without output yet", async () => {
    const events = await recordedTrace();
    const upToCode = events.slice(0, events.findIndex((e) => e.type === "code") + 1);
    const view = upToCode.reduce(applyTrace, emptyTrace);
    expect(view.iterations).toHaveLength(1);
    expect(view.iterations[0]!.status).toBe("running");
    expect(view.iterations[0]!.items).toEqual([
      expect.objectContaining({ kind: "code", code: expect.stringContaining("searchDb") }),
    ]);
    expect(view.iterations[0]!.items[0]).not.toHaveProperty("output");
  });

  it("never mutates the previous state", async () => {
    const events = await recordedTrace();
    let state: TraceView = emptyTrace;
    const snapshots: string[] = [];
    for (const e of events) {
      const before = JSON.stringify(state);
      const next = applyTrace(state, e);
      expect(JSON.stringify(state)).toBe(before);
      snapshots.push(JSON.stringify(next));
      state = next;
    }
    expect(new Set(snapshots).size).toBe(snapshots.length);
  });

  it("keeps events of an iteration whose start was missed, and output of a block never announced", () => {
    let view = applyTrace(emptyTrace, {
      type: "code-output",
      elapsed_ms: 10,
      iteration: 3,
      index: 1,
      output: "42",
      error: "ReferenceError: x is not defined",
    });
    view = applyTrace(view, { type: "iteration-start", elapsed_ms: 2, iteration: 2 });
    expect(view.iterations.map((it) => it.iteration)).toEqual([2, 3]);
    expect(view.iterations[1]!.items[0]).toMatchObject({ kind: "code", code: "", output: "42" });
    // elapsed never goes backwards
    expect(view.elapsedMs).toBe(10);
  });

  it("only advances the clock on an unknown event type", () => {
    const view = applyTrace(emptyTrace, { type: "something-new", elapsed_ms: 7 } as unknown as TraceEvent);
    expect(view).toMatchObject({ iterations: [], grounding: [], elapsedMs: 7, events: 1 });
  });
});

describe("the forced final answer after a limit", () => {
  it("is a step of its own, not an iteration of the loop", () => {
    const status = (iterations: number, exceeded: boolean) => ({
      iterations,
      search_calls: 1,
      tokens: 10,
      elapsed_seconds: 1,
      cost_usd: null,
      utilization: 1,
      exceeded,
      exceeded_limit: exceeded ? "max_iterations" : null,
      limits: { max_iterations: 1 },
    });
    const usage = { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 };
    const events: TraceEvent[] = [
      { type: "iteration-start", iteration: 1, elapsed_ms: 1 },
      {
        type: "iteration-complete",
        iteration: 1,
        time_ms: 5,
        usage,
        final: false,
        budget_status: status(1, false),
        elapsed_ms: 6,
      },
      // No iteration-start: the engine's one last call for the answer.
      { type: "model-text", iteration: 2, text: "FINAL(Jane Doe)", elapsed_ms: 9 },
      {
        type: "iteration-complete",
        iteration: 2,
        time_ms: 3,
        usage,
        final: true,
        budget_status: status(2, true),
        elapsed_ms: 10,
      },
    ];
    const view = events.reduce(applyTrace, emptyTrace);
    expect(view.iterations.map((it) => it.forced)).toEqual([false, true]);
    expect(view.iterations[1]!.modelText).toBe("FINAL(Jane Doe)");
    expect(loopIterations(view).map((it) => it.iteration)).toEqual([1]);
  });
});
