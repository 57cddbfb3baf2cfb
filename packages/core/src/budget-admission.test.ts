import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { DeepRecallEngine } from "./engine.ts";
import type { DeepRecallEngineOptions } from "./options.ts";

const engines: DeepRecallEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

function text(call: LanguageModelV4CallOptions): string {
  return JSON.stringify(call.prompt);
}

/** A model reply of `content` that cost `tokens` (half in, half out). */
function modelReply(content: string, tokens = 100): LanguageModelV4GenerateResult {
  return {
    content: [{ type: "text", text: content }],
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: tokens / 2, noCache: tokens / 2, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: tokens / 2, text: tokens / 2, reasoning: 0 },
    },
    warnings: [],
  };
}

/**
 * A model that counts every call that reaches it: the root turn (first user message holds
 * "Question: ") runs `rootCode` once, sub-calls answer "sub" for 100 tokens (50 in / 50 out)
 * each, after `delayMs`.
 */
function countingModel(rootCode: string, opts: { delayMs?: number } = {}) {
  const state = { calls: 0, rootCalls: 0, subCalls: 0, inFlight: 0, maxInFlight: 0, prompts: [] as string[] };
  const model = new MockLanguageModelV4({
    modelId: "counting",
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      state.calls++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const prompt = text(call);
        state.prompts.push(prompt);
        const isRoot = prompt.includes("Question: ");
        let reply = "sub";
        if (isRoot) {
          state.rootCalls++;
          reply = state.rootCalls === 1 ? `\`\`\`repl\n${rootCode}\n\`\`\`` : "FINAL(root finished)";
        } else state.subCalls++;
        return modelReply(reply);
      } finally {
        state.inFlight--;
      }
    },
  });
  return { model, state };
}

async function store(): Promise<MemoryStore> {
  const s = new MemoryStore();
  await s.addDocuments({ ids: ["a"], documents: ["Acme was founded by Jane Doe in 1999."] });
  return s;
}

function engine(options: DeepRecallEngineOptions): DeepRecallEngine {
  const e = new DeepRecallEngine({ grounding: false, sandbox: { workers: 1 }, ...options });
  engines.push(e);
  return e;
}

describe("budget admission inside a block", () => {
  it("maxTokens 1000: llmQueryBatched over 200 prompts sends ~10 calls, then refuses the rest at once", async () => {
    const { model, state } = countingModel(
      [
        "try { llmQueryBatched(Array.from({ length: 200 }, (_, i) => 'q' + i)); print('no error'); }",
        "catch (e) { print('caught ' + e.name + ': ' + e.message); }",
      ].join("\n"),
    );
    const result = await engine({ vectorStore: await store(), model, maxConcurrency: 4 }).query("Who?", {
      budget: { maxTokens: 1000 },
    });
    // 1 root turn (100 tokens) + 9 sub-calls reach 1000; at most maxConcurrency more were in flight.
    expect(state.subCalls).toBeGreaterThanOrEqual(9);
    expect(state.subCalls).toBeLessThanOrEqual(9 + 4);
    expect(state.rootCalls).toBe(1); // the run ends: no forced turn once tokens are spent
    expect(result.usage.totalTokens).toBeLessThanOrEqual(1000 + 4 * 100);
    expect(result.budgetStatus).toMatchObject({ exceeded: true, exceededLimit: "maxTokens" });
    expect(result.error).toBe("Budget exceeded: maxTokens (limit 1000)");
    const output = result.reasoningTrace[0]!.output;
    expect(output).toContain("caught BudgetExceededError");
    expect(output).toMatch(/were not sent/);
    expect(result.answer).not.toBe("");
    expect(result.answer).not.toContain("```");
  });

  it("maxTokens 1000: a caught llmQuery loop of 10,000 sends ~10 calls and the run still ends", async () => {
    const { model, state } = countingModel(
      [
        "let refused = 0, ok = 0;",
        // The refusal is a BudgetExceededError the code can test by class or by name.
        "for (let i = 0; i < 10000; i++) { try { llmQuery('q' + i); ok++; } catch (e) { if (e instanceof BudgetExceededError && e instanceof Error && e.name === 'BudgetExceededError') refused++; } }",
        "print('ok', ok, 'refused', refused);",
      ].join("\n"),
    );
    const result = await engine({ vectorStore: await store(), model }).query("Who?", {
      budget: { maxTokens: 1000 },
    });
    expect(state.subCalls).toBe(9); // sequential: no call in flight when the limit is reached
    expect(state.rootCalls).toBe(1);
    expect(result.reasoningTrace[0]!.output).toContain("ok 9 refused 9991");
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("maxCostUsd 0.01 at $0.001 a call: ~10 calls go out", async () => {
    const { model, state } = countingModel(
      "for (let i = 0; i < 2000; i++) { try { llmQuery('q' + i); } catch (e) {} }",
    );
    const result = await engine({
      vectorStore: await store(),
      model,
      // 50 in + 50 out at $10 per million each = $0.001 a call.
      pricing: { counting: { inputPerMillion: 10, outputPerMillion: 10 } },
    }).query("Who?", { budget: { maxCostUsd: 0.01 } });
    expect(state.calls).toBeLessThanOrEqual(11);
    expect(state.calls).toBeGreaterThanOrEqual(10);
    expect(result.budgetStatus.exceededLimit).toBe("maxCostUsd");
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.011 + 1e-9);
  });

  it("maxDepth 3, maxTokens 3000: child loops at every depth are admitted, spend stays near the limit", async () => {
    // Every loop (root and children) fans out: each turn asks llmQuery three times, then FINALs.
    let calls = 0;
    const model = new MockLanguageModelV4({
      modelId: "deep",
      doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
        calls++;
        const asked = JSON.stringify(call.prompt).includes("REPL output");
        const reply = asked
          ? "FINAL(done here)"
          : "```repl\nfor (let i = 0; i < 3; i++) { try { llmQuery('sub ' + i); } catch (e) {} }\n```";
        return modelReply(reply);
      },
    });
    const result = await engine({ vectorStore: await store(), model, maxDepth: 3 }).query("Who?", {
      budget: { maxTokens: 3000 },
    });
    // Sequential calls: no overshoot at all.
    expect(result.usage.totalTokens).toBeLessThanOrEqual(3000);
    expect(calls).toBe(30);
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("weighs the calls in flight: a batch under maxTokens 1000 stops sending at the limit, not maxConcurrency past it", async () => {
    const { model, state } = countingModel(
      "try { llmQueryBatched(Array.from({ length: 200 }, (_, i) => 'q' + i)); } catch (e) { print(e.message); }",
      { delayMs: 5 },
    );
    const result = await engine({ vectorStore: await store(), model, maxConcurrency: 4 }).query("Who?", {
      budget: { maxTokens: 1000 },
    });
    // 100 tokens a call: the root turn and 9 sub-calls are exactly the budget; none went out past it.
    expect(state.subCalls).toBe(9);
    expect(result.usage.totalTokens).toBe(1000);
    expect(state.maxInFlight).toBe(4);
    expect(result.reasoningTrace[0]!.output).toMatch(
      /Budget nearly spent: llmQuery refused, the 3 call\(s\) in flight/,
    );
    expect(result.reasoningTrace[0]!.output).toMatch(/9 of 200 prompts answered/);
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("maxConcurrency bounds the model calls in flight for the whole query: child loops fanning out cannot multiply it", async () => {
    const state = { calls: 0, inFlight: 0, maxInFlight: 0 };
    const model = new MockLanguageModelV4({
      modelId: "fan-out",
      doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
        state.calls++;
        state.inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
        await new Promise((r) => setTimeout(r, 5));
        state.inFlight--;
        const prompt = JSON.stringify(call.prompt);
        // Every loop fans out four ways once, then answers; the deepest prompts are plain calls.
        const reply = prompt.includes("REPL output")
          ? "FINAL(done)"
          : prompt.includes("Question: ")
            ? "```repl\nllmQueryBatched(['a', 'b', 'c', 'd']);\n```"
            : "leaf";
        return modelReply(reply, 10);
      },
    });
    const result = await engine({ vectorStore: await store(), model, maxDepth: 2, maxConcurrency: 3 }).query(
      "Who?",
    );
    expect(result.error).toBeUndefined();
    // The root and 4 child loops (two turns each) and 16 plain calls under them: without one limit
    // for the whole query, 3 children × 3 of their calls could be in flight at once.
    expect(state.calls).toBe(26);
    expect(state.maxInFlight).toBe(3);
  });

  it("weighs an llmQuery prompt: one larger than what is left of maxTokens is refused unsent, a shorter one still goes", async () => {
    const { model, state } = countingModel(
      [
        "try { llmQuery('x'.repeat(8000)); } catch (e) { print(e.name + ': ' + e.message); }",
        "print('short: ' + llmQuery('a short question'));",
      ].join("\n"),
    );
    const result = await engine({ vectorStore: await store(), model }).query("Who?", {
      budget: { maxTokens: 1000 },
    });
    expect(state.subCalls).toBe(1);
    expect(state.prompts.some((p) => p.includes("xxxxxxxx"))).toBe(false);
    const output = result.reasoningTrace[0]!.output;
    expect(output).toContain(
      "BudgetExceededError: Budget too small for this prompt: llmQuery refused, its prompt (~2000 tokens) is more than the 900 tokens left of maxTokens (limit 1000)",
    );
    expect(output).toContain("short: sub");
    expect(result.answer).toBe("root finished");
    expect(result.budgetStatus.exceeded).toBe(false);
  });

  it("searchDb is refused once a hard limit is spent", async () => {
    const { model } = countingModel(
      [
        "for (let i = 0; i < 20; i++) { try { llmQuery('q' + i); } catch (e) {} }",
        "try { searchDb('Acme'); print('searched'); } catch (e) { print('search refused: ' + e.name); }",
      ].join("\n"),
    );
    const s = await store();
    const result = await engine({ vectorStore: s, model }).query("Who?", { budget: { maxTokens: 500 } });
    expect(s.searchCalls).toEqual([]);
    expect(result.reasoningTrace[0]!.output).toContain("search refused: BudgetExceededError");
  });
});
