import { describe, expect, it } from "vitest";
import type { EngineEvent, ReasoningStep } from "../types.ts";
import { sampleResult } from "./__fixtures__/result.ts";
import { EventRecorder, isCachedAnswer, recordedEvents, replayEvents } from "./answer-record.ts";
import { InMemoryCache } from "./memory.ts";

describe("EventRecorder and replayEvents", () => {
  it("keep every event but query-start and result, join answer text, and refer to the result's steps", async () => {
    const result = sampleResult();
    const step = result.reasoningTrace[0]!;
    const other: ReasoningStep = { ...step, iteration: 9 }; // a step the result does not hold
    const events: EngineEvent[] = [
      { type: "query-start", query: result.query, runId: "r1" },
      { type: "iteration-start", iteration: 1 },
      { type: "model-text", iteration: 1, text: "thinking" },
      { type: "code", iteration: 1, index: 0, code: "print(1)" },
      { type: "code-output", iteration: 1, index: 0, output: "1" },
      { type: "search", iteration: 1, search: step.searches[0]! },
      { type: "sub-llm", iteration: 1, call: step.subLLMCalls[0]! },
      { type: "iteration-complete", step },
      { type: "iteration-complete", step: other },
      { type: "answer-delta", text: "It was " },
      { type: "answer-delta", text: "founded" },
      { type: "result", result },
    ];
    const recorder = new EventRecorder();
    for (const event of events) recorder.record(event);
    const entry = recorder.entry(result);
    expect(entry.result).toBe(result);
    // Kept as text: a hit served by query() never decodes them.
    expect(typeof entry.events).toBe("string");
    expect(recordedEvents(entry)).toContainEqual({ type: "iteration-complete", stepIndex: 0 });
    expect(recordedEvents(entry)).toContainEqual({ type: "iteration-complete", step: other });

    // Through a cache and back, as a hit reads it.
    const cache = new InMemoryCache();
    await cache.set("k", entry);
    const read = await cache.get("k");
    expect(isCachedAnswer(read)).toBe(true);
    if (!isCachedAnswer(read)) return;
    const replayed = [...replayEvents(recordedEvents(read), read.result.reasoningTrace)];
    expect(replayed).toEqual([...events.slice(1, 9), { type: "answer-delta", text: "It was founded" }]);
  });

  it("isCachedAnswer: anything else under an answer key is a miss (e.g. a bare result from an older version)", () => {
    expect(isCachedAnswer(sampleResult())).toBe(false);
    expect(isCachedAnswer(null)).toBe(false);
    expect(isCachedAnswer("text")).toBe(false);
    expect(isCachedAnswer({ result: {}, events: "[]" })).toBe(false);
    // An entry from before the events were kept as text (v3) is a miss, not a crash.
    expect(isCachedAnswer({ result: sampleResult(), events: [] })).toBe(false);
    expect(isCachedAnswer({ result: sampleResult(), events: "[]" })).toBe(true);
    expect(recordedEvents({ result: sampleResult(), events: "not json" })).toEqual([]);
  });
});
