import type {
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { LLMProviderError } from "./errors.ts";
import { cannotStream, usageOrEstimate } from "./model-call.ts";
import type { DeepRecallEngineOptions } from "./options.ts";
import type { SandboxPool } from "./sandbox/types.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

async function store(): Promise<MemoryStore> {
  const s = new MemoryStore();
  await s.addDocuments({
    ids: ["acme", "jane"],
    documents: ["Acme Corporation was founded by Jane Doe in 1999.", "Jane Doe was born in Lyon, France."],
  });
  return s;
}

function engine(options: DeepRecallEngineOptions): DeepRecallEngine {
  const e = new DeepRecallEngine({ grounding: false, ...options });
  engines.push(e);
  return e;
}

/** Stream parts of one reply; `usage: null` = the backend sends no usage (no include_usage). */
function replyParts(
  text: string,
  usage: { input: number; output: number } | null,
): LanguageModelV4StreamPart[] {
  return [
    { type: "stream-start", warnings: [] },
    { type: "text-start", id: "t" },
    { type: "text-delta", id: "t", delta: text },
    { type: "text-end", id: "t" },
    {
      type: "finish",
      finishReason: { unified: "stop", raw: "stop" },
      usage: usage
        ? {
            inputTokens: { total: usage.input, noCache: usage.input, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: usage.output, text: usage.output, reasoning: 0 },
          }
        : {
            inputTokens: {
              total: undefined,
              noCache: undefined,
              cacheRead: undefined,
              cacheWrite: undefined,
            },
            outputTokens: { total: undefined, text: undefined, reasoning: undefined },
          },
    },
  ];
}

describe("usageOrEstimate / cannotStream", () => {
  it("estimates chars/4 when the backend reports nothing, keeps reported numbers otherwise", () => {
    expect(usageOrEstimate(undefined, 400, "x".repeat(40))).toEqual({
      usage: { inputTokens: 100, outputTokens: 10, totalTokens: 110 },
      estimated: true,
    });
    expect(usageOrEstimate({ inputTokens: 7, outputTokens: 3, totalTokens: 10 }, 400, "abc")).toEqual({
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 },
      estimated: false,
    });
  });

  it("recognises backends that cannot stream", () => {
    expect(cannotStream(new Error("Not implemented"))).toBe(true);
    expect(cannotStream(new Error("automatic streaming tool choice is not supported"))).toBe(true);
    expect(cannotStream(new Error("HTTP 500 from upstream"))).toBe(false);
  });
});

describe("model calls", () => {
  it("stream from the backend; with no usage in the stream, tokens are estimated and maxTokens holds", async () => {
    let calls = 0;
    const model = new MockLanguageModelV4({
      modelId: "no-usage",
      doStream: async () => {
        calls++;
        return {
          stream: convertArrayToReadableStream(
            replyParts(`\`\`\`repl\nprint("${"x".repeat(400)}")\n\`\`\``, null),
          ),
        };
      },
    });
    const result = await engine({ vectorStore: await store(), model, maxIterations: 50 }).query("Who?", {
      budget: { maxTokens: 2000 },
    });
    expect(model.doStreamCalls.length).toBe(calls);
    expect(model.doGenerateCalls).toHaveLength(0);
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
    expect(calls).toBeLessThan(20);
    // Per-step usage sums to the run's totals.
    const sum = result.reasoningTrace.reduce((n, s) => n + s.usage.totalTokens, 0);
    expect(sum).toBe(result.usage.totalTokens);
  });

  it("fall back to generateText for a model that cannot stream, once per model", async () => {
    const model = scriptedModel(["```repl\nprint(1)\n```", "FINAL(Jane Doe)"]);
    const result = await engine({ vectorStore: await store(), model }).query("Who?");
    expect(result.answer).toBe("Jane Doe");
    expect(model.doStreamCalls).toHaveLength(1);
    expect(model.doGenerateCalls).toHaveLength(2);
  });

  it("carry output-token caps: 2048 for root turns, 1024 for sub-calls, both configurable", async () => {
    const model = scriptedModel(["```repl\nprint(llmQuery('sub?'))\n```", "sub answer", "FINAL(done)"]);
    await engine({ vectorStore: await store(), model }).query("Who?");
    expect(model.doGenerateCalls.map((c) => c.maxOutputTokens)).toEqual([2048, 1024, 2048]);

    const model2 = scriptedModel(["```repl\nprint(llmQuery('sub?'))\n```", "sub answer", "FINAL(done)"]);
    await engine({
      vectorStore: await store(),
      model: model2,
      maxOutputTokens: 300,
      subMaxOutputTokens: 50,
    }).query("Who?");
    expect(model2.doGenerateCalls.map((c) => c.maxOutputTokens)).toEqual([300, 50, 300]);
  });

  it("time out per call: the attempt is cancelled, counted, reported to onError and retried", async () => {
    const errors: unknown[] = [];
    let attempt = 0;
    let abortedFirst = false;
    const model = new MockLanguageModelV4({
      modelId: "slow-once",
      doGenerate: async (call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> => {
        attempt++;
        if (attempt === 1) {
          await new Promise((_, reject) =>
            call.abortSignal?.addEventListener("abort", () => {
              abortedFirst = true;
              reject(call.abortSignal?.reason);
            }),
          );
        }
        return {
          content: [{ type: "text", text: "FINAL(Jane Doe)" }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: {
            inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 5, text: 5, reasoning: 0 },
          },
          warnings: [],
        };
      },
    });
    const result = await engine({
      vectorStore: await store(),
      model,
      callTimeoutMs: 100,
      retry: { baseDelayMs: 1 },
      callbacks: [{ onError: (_ctx, error) => void errors.push(error) }],
    }).query("Who?");
    expect(result.answer).toBe("Jane Doe");
    expect(abortedFirst).toBe(true);
    expect(attempt).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(LLMProviderError);
    expect((errors[0] as Error).message).toMatch(/timed out after 0.1 s.*retrying/);
    // The cut attempt is counted (estimated prompt tokens), the retry with its reported usage.
    expect(result.usage.calls).toBe(2);
    expect(result.usage.totalTokens).toBeGreaterThan(15);
    expect(result.reasoningTrace[0]!.usage.totalTokens).toBe(result.usage.totalTokens);
  });

  it("an abort closes the backend stream (the time budget cuts a hanging stream)", async () => {
    let streamAborted = false;
    const model = new MockLanguageModelV4({
      modelId: "hang",
      doStream: async (call) => {
        call.abortSignal?.addEventListener("abort", () => {
          streamAborted = true;
        });
        return {
          stream: new ReadableStream<LanguageModelV4StreamPart>({
            start(controller) {
              controller.enqueue({ type: "stream-start", warnings: [] });
              controller.enqueue({ type: "text-start", id: "t" });
              controller.enqueue({ type: "text-delta", id: "t", delta: "thinking " });
              call.abortSignal?.addEventListener("abort", () => controller.error(call.abortSignal?.reason));
            },
          }),
        };
      },
    });
    // The model never ends its reply, so only the budget can end this query; the budget also has
    // to cover the run's start up to the model call, which a busy machine can stretch.
    const result = await engine({ vectorStore: await store(), model }).query("Who?", {
      budget: { maxTimeSeconds: 2 },
    });
    expect(streamAborted).toBe(true);
    expect(result.budgetStatus.exceededLimit).toBe("maxTimeSeconds");
    expect(result.answer).toMatch(/the time limit/);
    expect(result.usage.calls).toBe(1); // the cut call is counted
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    // ...and so is the step it cut: per-step usage sums to the run's.
    expect(result.reasoningTrace).toHaveLength(1);
    expect(result.reasoningTrace[0]!.output).toMatch(/stopped: the maxTimeSeconds limit/);
    expect(result.reasoningTrace[0]!.usage.totalTokens).toBe(result.usage.totalTokens);
  });

  it("a FINAL-only query creates no sandbox session", async () => {
    let sessions = 0;
    const pool = {
      createSession: async () => {
        sessions++;
        throw new Error("no session expected");
      },
      close: async () => {},
      stats: () => ({}),
    } as unknown as SandboxPool;
    const model = scriptedModel(["FINAL(Jane Doe)"]);
    const result = await engine({ vectorStore: await store(), model, sandbox: pool }).query("Who?");
    expect(result.answer).toBe("Jane Doe");
    expect(sessions).toBe(0);
  });
});
