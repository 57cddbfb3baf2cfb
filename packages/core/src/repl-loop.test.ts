import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import type { DeepRecallEngineOptions } from "./options.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

function engine(options: Omit<DeepRecallEngineOptions, "vectorStore">): DeepRecallEngine {
  const e = new DeepRecallEngine({ vectorStore: new MemoryStore(), grounding: false, ...options });
  engines.push(e);
  return e;
}

/** A sub-model whose every call takes `ms` and records how many calls were in flight at once. */
function slowSubModel(calls: number, ms: number) {
  let inFlight = 0;
  let peak = 0;
  const model = scriptedModel(
    Array.from({ length: calls }, () => async (call) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      const prompt = JSON.stringify(call.prompt);
      return `answer to ${/q\d/.exec(prompt)?.[0] ?? "?"}`;
    }),
    "mock-sub",
  );
  return { model, peak: () => peak };
}

describe("llmQueryBatched", () => {
  const batch =
    "```repl\nconst answers = llmQueryBatched(['q1', 'q2', 'q3', 'q4', 'q5'])\nFINAL(answers.join(', '))\n```";

  it("runs the prompts concurrently, maxConcurrency at a time, answers in prompt order", async () => {
    const sub = slowSubModel(5, 60);
    const result = await engine({
      model: scriptedModel([batch]),
      subModel: sub.model,
      maxConcurrency: 3,
    }).query("q");
    expect(result.answer).toBe("answer to q1, answer to q2, answer to q3, answer to q4, answer to q5");
    expect(sub.peak()).toBe(3);
  });

  it("never more than maxConcurrency in flight", async () => {
    const sub = slowSubModel(5, 20);
    await engine({ model: scriptedModel([batch]), subModel: sub.model, maxConcurrency: 2 }).query("q");
    expect(sub.peak()).toBe(2);
  });
});
