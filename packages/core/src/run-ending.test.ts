import type { LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel, textStep, toolCallStep } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine, finishReasonOf } from "./engine.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import type { DeepRecallResult } from "./types.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function store(): Promise<MemoryStore> {
  const s = new MemoryStore();
  await s.addDocuments({
    ids: ["zorvex", "weather"],
    documents: [
      "Zorvex Industries was founded in Oslo in 1987 by Ingrid Berg. ```python\nprint('doc code')\n```",
      "The weather in Paris is mild in spring.",
    ],
  });
  return s;
}

function engine(options: DeepRecallEngineOptions): DeepRecallEngine {
  const e = new DeepRecallEngine({ sandbox: { workers: 1 }, ...options });
  engines.push(e);
  return e;
}

const QUESTION = "Where was Zorvex Industries founded?";

/** A model that never finishes: every reply is an unclosed ```javascript fence with FINAL( in it. */
function neverFinishes() {
  return new MockLanguageModelV4({
    modelId: "never",
    doGenerate: async (): Promise<LanguageModelV4GenerateResult> => ({
      content: [{ type: "text", text: "Let me check.\n```javascript\nfoo(1);\n}, FINAL(answer));" }],
      finishReason: { unified: "length", raw: "length" },
      usage: {
        inputTokens: { total: 20, noCache: 20, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 10, text: 10, reasoning: 0 },
      },
      warnings: [],
    }),
  });
}

function expectHonestEnding(result: DeepRecallResult, limit: string) {
  expect(result.error).toMatch(new RegExp(`^Budget exceeded: ${limit}`));
  expect(result.budgetStatus).toMatchObject({ exceeded: true, exceededLimit: limit });
  expect(finishReasonOf(result)).toBe("length");
  expect(result.answer.trim()).not.toBe("");
  expect(result.answer).not.toContain("```");
  expect(result.answer.toLowerCase()).not.toMatch(/^(the|your) answer\.?$/);
  expect(result.answer).not.toBe(QUESTION);
}

describe("a run that ends without the model's own FINAL", () => {
  it("engine maxIterations and budget.maxIterations end the same way: limit named, grounded answer", async () => {
    const viaEngine = await engine({
      vectorStore: await store(),
      model: neverFinishes(),
      maxIterations: 3,
    }).query(QUESTION);
    const viaBudget = await engine({ vectorStore: await store(), model: neverFinishes() }).query(QUESTION, {
      budget: { maxIterations: 3 },
    });
    for (const result of [viaEngine, viaBudget]) {
      expectHonestEnding(result, "maxIterations");
      expect(result.error).toBe("Budget exceeded: maxIterations (limit 3)");
      // The forced turn's reply (an unclosed fence again) is rejected: the answer comes from the sources.
      expect(result.answer).toContain("Oslo");
      expect(result.answer).toContain("[zorvex]");
      expect(result.sources.map((s) => s.id)).toContain("zorvex");
      // Unclosed fences ran as code: the model was shown the error, not "No code ran".
      expect(result.reasoningTrace[0]!.code).toEqual(["foo(1);\n}, FINAL(answer));"]);
      expect(result.reasoningTrace[0]!.output).not.toContain("No code ran");
      // 3 turns + the forced one, each with its usage and time; they sum to the totals.
      expect(result.reasoningTrace).toHaveLength(4);
      expect(result.reasoningTrace[3]!.usage.totalTokens).toBe(30);
      const sum = result.reasoningTrace.reduce((n, s) => n + s.usage.totalTokens, 0);
      expect(sum).toBe(result.usage.totalTokens);
      expect(result.usage.calls).toBe(4);
    }
  });

  it("rejects placeholder answers from the model and tells it why", async () => {
    const model = scriptedModel(["FINAL(your answer)", "FINAL(the answer)", "FINAL(Oslo, in 1987.)"]);
    const result = await engine({ vectorStore: await store(), model }).query(QUESTION);
    expect(result.answer).toBe("Oslo, in 1987.");
    expect(result.error).toBeUndefined();
    expect(finishReasonOf(result)).toBe("stop");
    expect(result.reasoningTrace[0]!.output).toMatch(/FINAL\(\.\.\.\) was not accepted/);
    expect(JSON.stringify(model.doGenerateCalls[1]!.prompt)).toContain("was not accepted");
  });

  it("uses a valid forced FINAL (code stripped); a forced reply that is still code is not an answer", async () => {
    const model = scriptedModel([
      "```repl\nprint('looking')\n```",
      "FINAL(Zorvex was founded in Oslo.\n```python\nprint('x')\n```)",
    ]);
    const result = await engine({ vectorStore: await store(), model, maxIterations: 1 }).query(QUESTION);
    expect(result.answer).toBe("Zorvex was founded in Oslo.");
    expectHonestEnding(result, "maxIterations");

    const still = scriptedModel([
      "```repl\nprint('looking')\n```",
      "Let me search.\n```repl\nsearchDb('x')\n```",
    ]);
    const second = await engine({ vectorStore: await store(), model: still, maxIterations: 1 }).query(
      QUESTION,
    );
    expect(second.answer).not.toContain("Let me search");
    expect(second.answer).toContain("[zorvex]");
    expectHonestEnding(second, "maxIterations");
  });

  it("maxTokens spent: no forced call, the answer is synthesised", async () => {
    const model = scriptedModel([{ text: "```repl\nprint(1)\n```", inputTokens: 400, outputTokens: 200 }]);
    const result = await engine({ vectorStore: await store(), model }).query(QUESTION, {
      budget: { maxTokens: 500 },
    });
    expect(model.callCount).toBe(1);
    expectHonestEnding(result, "maxTokens");
    expect(result.answer).toContain("Oslo");
  });
});

describe("grounding floor", () => {
  it("searches the question before the first turn and shows ids and snippets", async () => {
    const s = await store();
    const model = scriptedModel(["FINAL(Oslo)"]);
    const result = await engine({ vectorStore: s, model }).query(QUESTION);
    expect(s.searchCalls).toEqual([QUESTION]);
    const first = JSON.stringify(model.doGenerateCalls[0]!.prompt);
    expect(first).toContain('id=\\"zorvex\\"');
    expect(first).toContain("founded in Oslo in 1987");
    expect(first).not.toContain("print('doc code')\\n```");
    expect(result.sources.map((x) => x.id)).toContain("zorvex");
    expect(result.confidence).not.toBeNull();
    expect(result.budgetStatus.searchCalls).toBe(1);
    expect(result.reasoningTrace[0]!.searches.map((x) => x.query)).toEqual([QUESTION]);
  });

  it("is an option (engine or query) and respects maxSearchCalls", async () => {
    const s = await store();
    await engine({ vectorStore: s, model: scriptedModel(["FINAL(a b)"]), grounding: false }).query(QUESTION);
    await engine({ vectorStore: s, model: scriptedModel(["FINAL(a b)"]) }).query(QUESTION, {
      grounding: false,
    });
    await engine({ vectorStore: s, model: scriptedModel(["FINAL(a b)"]) }).query(QUESTION, {
      budget: { maxSearchCalls: 0 },
    });
    expect(s.searchCalls).toEqual([]);
  });

  it("grounds the tools strategy, and falls back to generateText when streaming tool calls is refused", async () => {
    const s = await store();
    const steps = [toolCallStep("c1", { query: "Zorvex founded" }), textStep("Zorvex was founded in Oslo.")];
    let generated = 0;
    const model = new MockLanguageModelV4({
      modelId: "no-stream-tools",
      doStream: async () => {
        throw new Error("automatic streaming tool choice is not supported");
      },
      doGenerate: async () => {
        const parts = steps[generated++]!;
        const toolCall = parts.find((p) => p.type === "tool-call");
        const text = parts
          .filter((p) => p.type === "text-delta")
          .map((p) => (p as { delta: string }).delta)
          .join("");
        return {
          content: toolCall ? [toolCall as never] : [{ type: "text", text }],
          finishReason: toolCall
            ? { unified: "tool-calls", raw: "tool_calls" }
            : { unified: "stop", raw: "stop" },
          usage: {
            inputTokens: {
              total: undefined,
              noCache: undefined,
              cacheRead: undefined,
              cacheWrite: undefined,
            },
            outputTokens: { total: undefined, text: undefined, reasoning: undefined },
          },
          warnings: [],
        };
      },
    });
    const result = await engine({ vectorStore: s, model, strategy: "tools" }).query(QUESTION);
    expect(result.answer).toBe("Zorvex was founded in Oslo.");
    expect(result.error).toBeUndefined();
    expect(s.searchCalls).toEqual([QUESTION, "Zorvex founded"]);
    expect(JSON.stringify(model.doGenerateCalls[0]!.prompt)).toContain('id=\\"zorvex\\"');
    // No usage from the backend: estimated, per step, summing to the totals.
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    expect(result.reasoningTrace).toHaveLength(2);
    const sum = result.reasoningTrace.reduce((n, st) => n + st.usage.totalTokens, 0);
    expect(sum).toBe(result.usage.totalTokens);
  });

  it("tools strategy: a model that only calls tools ends with the limit named and a grounded answer", async () => {
    const s = await store();
    let i = 0;
    const model = new MockLanguageModelV4({
      modelId: "tool-looper",
      doStream: async () => ({
        stream: new ReadableStream({
          start(c) {
            for (const p of toolCallStep(`c${i++}`, { query: "Zorvex" })) c.enqueue(p);
            c.close();
          },
        }),
      }),
      doGenerate: async () => ({
        content: [{ type: "text", text: "FINAL(your answer)" }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 5, text: 5, reasoning: 0 },
        },
        warnings: [],
      }),
    });
    const result = await engine({ vectorStore: s, model, strategy: "tools", maxIterations: 2 }).query(
      QUESTION,
    );
    expectHonestEnding(result, "maxIterations");
    expect(result.answer).toContain("Oslo");
    expect(result.reasoningTrace.at(-1)!.final).toBe(true);
    const sum = result.reasoningTrace.reduce((n, st) => n + st.usage.totalTokens, 0);
    expect(sum).toBe(result.usage.totalTokens);
  });
});

describe("a model that never answers in time (callTimeoutMs on every attempt)", () => {
  /** A model whose every request hangs until it is aborted; counts the requests. */
  function hanging() {
    const seen = { calls: 0, aborted: 0 };
    const hang = (signal: AbortSignal | undefined) =>
      new Promise<never>((_, reject) => {
        seen.calls++;
        signal?.addEventListener("abort", () => {
          seen.aborted++;
          reject(signal.reason);
        });
      });
    const model = new MockLanguageModelV4({
      modelId: "hanging",
      doGenerate: async (options) => hang(options.abortSignal),
      doStream: async (options) => hang(options.abortSignal),
    });
    return { model, seen };
  }

  for (const strategy of ["repl", "tools"] as const) {
    it(`${strategy}: ends like any limit, with a grounded answer, and every request was cut`, async () => {
      const { model, seen } = hanging();
      const e = engine({
        vectorStore: await store(),
        model,
        strategy,
        callTimeoutMs: 150,
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const result = await e.query(QUESTION);
      expect(result.error).toBe("Budget exceeded: callTimeoutMs (limit 150)");
      expect(result.budgetStatus).toMatchObject({ exceeded: true, exceededLimit: "callTimeoutMs" });
      expect(finishReasonOf(result)).toBe("length");
      // Grounded: the answer comes from the grounding search's hits, and names the limit.
      expect(result.sources.map((s) => s.id)).toContain("zorvex");
      expect(result.answer).toContain("Oslo");
      expect(result.answer).toContain("the model did not answer in time");
      // One turn, retried once; no forced last call to a model that does not answer.
      expect(seen.calls).toBe(2);
      expect(seen.aborted).toBe(2);
    });
  }
});
