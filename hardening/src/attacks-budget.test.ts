/**
 * Issue 17, item 1: hostile model code against the query budget, through the public engine API.
 * Every attack is a block the root model writes; the test doubles count what went out (model
 * calls at the mock, searches at the store) and read what the model was told.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import {
  createSandboxPool,
  DeepRecallEngine,
  type DeepRecallEngineOptions,
  type QueryBudget,
} from "@deeprecall/core";
import { abortableDelay, mockUsage } from "@deeprecall/test-utils";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { MockLanguageModelV4 } from "ai/test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { countingStore } from "./harness/counting-store.ts";
import { SEED_DOCUMENTS } from "./harness/server.ts";

let dir: string;
let local: LocalStore;
const engines: DeepRecallEngine[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-attacks-budget-"));
  local = new LocalStore({ directory: join(dir, "store") });
  await local.addDocuments({ documents: SEED_DOCUMENTS, ids: SEED_DOCUMENTS.map((_, i) => `seed-${i}`) });
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The seeded local store, recording every search that reaches it. */
const attackStore = () => countingStore(local, "attacks");

const promptOf = (call: LanguageModelV4CallOptions) => JSON.stringify(call.prompt);

/** A model reply of `text` that cost 100 tokens (50 in, 50 out). */
const reply = (text: string): LanguageModelV4GenerateResult => ({
  content: [{ type: "text", text }],
  finishReason: { unified: "stop", raw: "stop" },
  usage: mockUsage(50, 50),
  warnings: [],
});

/**
 * The attacker: the root model's first turn is `attack` (a repl block), later root turns
 * FINAL. Sub-calls (no "Question: " in the prompt) cost 100 tokens each (50 in, 50 out), root
 * turns too. Child loops (maxDepth > 1) run `attack` again in their first turn.
 */
function attacker(attack: string, options: { delayMs?: number; childAttack?: boolean } = {}) {
  const seen = { calls: 0, root: 0, sub: 0, inFlight: 0, maxInFlight: 0, rootPrompts: [] as string[] };
  const model = new MockLanguageModelV4({
    modelId: "attacker",
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      seen.calls++;
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        if (options.delayMs) await abortableDelay(options.delayMs, call.abortSignal);
        const prompt = promptOf(call);
        const root = prompt.includes("Question: ");
        const child = !root && prompt.includes("REPL") && options.childAttack;
        let text = "sub-answer";
        if (root || child) {
          if (root) {
            seen.root++;
            seen.rootPrompts.push(prompt);
          }
          text = prompt.includes("REPL output") ? "FINAL(attack finished)" : `\`\`\`repl\n${attack}\n\`\`\``;
        } else seen.sub++;
        return reply(text);
      } finally {
        seen.inFlight--;
      }
    },
  });
  return { model, seen };
}

async function run(
  attack: string,
  budget: QueryBudget,
  engineOptions: Partial<DeepRecallEngineOptions> = {},
  modelOptions: Parameters<typeof attacker>[1] = {},
) {
  const { model, seen } = attacker(attack, modelOptions);
  const store = attackStore();
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model,
    sandbox: { workers: 1 },
    maxConcurrency: 4,
    ...engineOptions,
  });
  engines.push(engine);
  const result = await engine.query("What does the report say about attacks?", { budget });
  return { result, seen, store };
}

describe("budget attacks (issue 17): what goes out is admitted first", () => {
  it("llmQueryBatched over 100,000 prompts under maxTokens 1000: ~10 calls, not 100,000", async () => {
    const { result, seen } = await run(
      "try { llmQueryBatched(Array.from({ length: 100000 }, (_, i) => 'p' + i)); } catch (e) { print('told: ' + e.name + ': ' + e.message); }",
      { maxTokens: 1000 },
    );
    // 1 root turn (100 tokens) + at most 9 admitted sub-calls + maxConcurrency in flight — or
    // none at all when the sandbox's batch-size cap refuses the call before it reaches the host.
    expect(seen.sub).toBeLessThanOrEqual(9 + 4);
    expect(result.usage.totalTokens).toBeLessThanOrEqual(1000 + 4 * 100);
    // The code was told (a budget refusal, or the batch-size cap).
    expect(result.reasoningTrace[0]!.output).toMatch(/told: (BudgetExceededError|RangeError)/);
    expect(result.answer.trim()).not.toBe("");
  });

  it("llmQueryBatched over 200 prompts under maxTokens 1000: the rest fail at once with BudgetExceededError", async () => {
    const { result, seen } = await run(
      "try { llmQueryBatched(Array.from({ length: 200 }, (_, i) => 'p' + i)); } catch (e) { print('told: ' + e.name + ': ' + e.message); }",
      { maxTokens: 1000 },
    );
    // The calls in flight are weighed (100 tokens a call so far): no call goes out past the limit.
    expect(seen.sub).toBe(9);
    expect(result.usage.totalTokens).toBeLessThanOrEqual(1000);
    expect(seen.maxInFlight).toBeLessThanOrEqual(4);
    expect(result.reasoningTrace[0]!.output).toMatch(
      /told: BudgetExceededError: Budget nearly spent: llmQuery refused, the \d call\(s\) in flight are expected to use up the rest of maxTokens/,
    );
    expect(result.reasoningTrace[0]!.output).toMatch(/were not sent/);
    expect(result.error).toBe("Budget exceeded: maxTokens (limit 1000)");
  });

  it("an llmQuery loop of 10,000 that swallows refusals: 9 calls, and the run still ends", async () => {
    const { result, seen } = await run(
      "let n = 0, refused = 0; for (let i = 0; i < 10000; i++) { try { llmQuery('p' + i); n++; } catch (e) { if (e.name === 'BudgetExceededError') refused++; } } print('sent', n, 'refused', refused);",
      { maxTokens: 1000 },
    );
    expect(seen.sub).toBe(9);
    expect(seen.root).toBe(1); // no further root turn once tokens are spent
    expect(result.reasoningTrace[0]!.output).toContain("sent 9 refused 9991");
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("maxCostUsd 0.01 at $0.001 a call: ~10 calls, not 2,000", async () => {
    const { result, seen } = await run(
      "for (let i = 0; i < 2000; i++) { try { llmQuery('p' + i); } catch (e) {} }",
      { maxCostUsd: 0.01 },
      { pricing: { attacker: { inputPerMillion: 10, outputPerMillion: 10 } } },
    );
    expect(seen.calls).toBeLessThanOrEqual(11);
    expect(result.budgetStatus.exceededLimit).toBe("maxCostUsd");
  });

  it("maxDepth 3 and maxTokens 3000: child loops at every depth are admitted (not 8,080 tokens)", async () => {
    const { result } = await run(
      "for (let i = 0; i < 20; i++) { try { llmQuery('dig ' + i); } catch (e) {} }",
      { maxTokens: 3000 },
      { maxDepth: 3 },
      { childAttack: true },
    );
    expect(result.usage.totalTokens).toBeLessThanOrEqual(3000 + 4 * 100);
    expect(result.budgetStatus.exceededLimit).toBe("maxTokens");
  });

  it("a batch fanning out inside child loops at maxDepth 3: at most maxConcurrency model calls in flight for the whole query", async () => {
    const { seen } = await run(
      "try { llmQueryBatched(['dig a', 'dig b', 'dig c', 'dig d']); } catch (e) {}",
      { maxTokens: 100_000 },
      { maxDepth: 3 },
      { childAttack: true, delayMs: 5 },
    );
    expect(seen.calls).toBeGreaterThan(20);
    expect(seen.maxInFlight).toBeLessThanOrEqual(4);
  });

  it("an llmQuery prompt costing 25× maxCostUsd: refused unsent, the model told why", async () => {
    const { result, seen } = await run(
      "for (let i = 0; i < 5; i++) { try { llmQuery('x'.repeat(99000) + i); } catch (e) { if (i === 0) print('told: ' + e.message); } }",
      { maxCostUsd: 0.01 },
      { pricing: { attacker: { inputPerMillion: 10, outputPerMillion: 10 } } },
    );
    expect(seen.sub).toBe(0);
    expect(result.reasoningTrace[0]!.output).toMatch(
      /^told: Budget too small for this prompt: llmQuery refused, its prompt \(~\$0\.24\d+\) costs more than the \$0\.00\d+ left of maxCostUsd \(limit 0\.01\)/,
    );
    expect(result.usage.costUsd).toBeLessThanOrEqual(0.01);
  });

  it("child investigations the budget refuses throw BudgetExceededError to the code, not a made-up answer", async () => {
    const { result } = await run(
      "try { const answers = llmQueryBatched(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']); print('answered: ' + answers.join(' | ')); } catch (e) { print('told: ' + e.name + ': ' + e.message); }",
      { maxTokens: 3000 },
      { maxDepth: 2 },
      { delayMs: 5 },
    );
    const output = result.reasoningTrace[0]!.output;
    expect(output).toMatch(/^told: BudgetExceededError: Budget/);
    expect(output).not.toContain("investigation stopped");
  });

  it("an llmQuery prompt of 90,000 characters under maxTokens 1000: refused unsent, the model told why", async () => {
    const { result, seen } = await run(
      "try { llmQuery('x'.repeat(90000)); } catch (e) { print('told: ' + e.name + ': ' + e.message); }",
      { maxTokens: 1000 },
    );
    expect(seen.sub).toBe(0);
    expect(result.reasoningTrace[0]!.output).toContain(
      "told: BudgetExceededError: Budget too small for this prompt: llmQuery refused, its prompt (~22500 tokens) is more than the 900 tokens left of maxTokens (limit 1000)",
    );
  });

  it("a searchDb loop under maxSearchCalls 3: 3 searches reach the store (grounding included), the model is told", async () => {
    const { result, store, seen } = await run(
      "let ok = 0; for (let i = 0; i < 500; i++) { try { searchDb('attack ' + i); ok++; } catch (e) { if (i === 499) print('told: ' + e.name + ': ' + e.message); } } print('searched', ok);",
      { maxSearchCalls: 3 },
    );
    expect(store.searches).toHaveLength(3);
    expect(result.reasoningTrace[0]!.output).toContain("searched 2");
    expect(result.reasoningTrace[0]!.output).toMatch(/told: BudgetExceededError: Search budget exhausted/);
    // The next (forced) root turn carries what the block printed, and the run names the limit.
    expect(seen.rootPrompts.at(-1)).toContain("Search budget exhausted");
    expect(result.budgetStatus.exceededLimit).toBe("maxSearchCalls");
  });

  it("a slow llmQuery loop under maxTimeSeconds 1: the run ends, the call in flight is cancelled", async () => {
    const { result, seen } = await run(
      "for (let i = 0; i < 10000; i++) { try { llmQuery('p' + i); } catch (e) {} }",
      { maxTimeSeconds: 1 },
      {},
      { delayMs: 200 },
    );
    // ~1 s of 200 ms calls: a handful, never thousands.
    expect(seen.calls).toBeLessThanOrEqual(8);
    expect(seen.inFlight).toBe(0);
    expect(result.budgetStatus.exceededLimit).toBe("maxTimeSeconds");
    expect(result.answer.trim()).not.toBe("");
  });
});

/**
 * With maxDepth > 1 a block's llmQuery runs a child investigation whose blocks need a sandbox
 * worker of their own while the parent's worker waits for the answer. Parents must never hold
 * every worker their children need: that left both waiting until the block's wall time ran out.
 */
describe("nested llmQuery code under the worker cap (maxDepth > 1)", () => {
  const outputs = (result: { reasoningTrace: Array<{ output: string }> }) =>
    result.reasoningTrace.map((step) => step.output).join("\n");

  /** An engine over the attack store, closed after the test. */
  const nestedEngine = (options: Omit<DeepRecallEngineOptions, "vectorStore">) => {
    const engine = new DeepRecallEngine({ vectorStore: attackStore(), ...options });
    engines.push(engine);
    return engine;
  };

  it("more concurrent queries than workers, each with a child that runs code: every child's block runs", async () => {
    const { model, seen } = attacker("print(llmQuery('dig'))", { childAttack: true });
    const engine = nestedEngine({
      model,
      maxDepth: 2,
      // Two workers for four roots and their four children; a deadlock would end each block
      // at this wall time with "the block was not run".
      sandbox: { workers: 0, maxWorkers: 2, wallTimeoutMs: 15_000 },
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        engine.query(`What does report ${i} say?`, { budget: { maxTimeSeconds: 60 } }),
      ),
    );
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.answer).toBe("attack finished");
      expect(outputs(result)).not.toMatch(/not run|TimeoutError|AbortError/);
    }
    // Each child's block ran and sent its own (depth 3 = plain) sub-call.
    expect(seen.sub).toBe(4);
  });

  it("a batch fanning out at every level of maxDepth 3 on three workers: all 16 grandchildren run their blocks", async () => {
    const { model, seen } = attacker("print(llmQueryBatched(['a', 'b', 'c', 'd']).length)", {
      childAttack: true,
    });
    const pool = createSandboxPool({ workers: 0, maxWorkers: 3, wallTimeoutMs: 15_000 });
    const engine = nestedEngine({ model, maxDepth: 3, maxConcurrency: 4, sandbox: pool });
    const result = await engine.query("What does the report say?", { budget: { maxTimeSeconds: 60 } });
    const stats = pool.stats();
    await pool.close();
    // Workers go from session to session (21 sessions): not a thread started and ended for each.
    expect(stats.workersStarted).toBeLessThanOrEqual(6);
    expect(result.error).toBeUndefined();
    expect(result.answer).toBe("attack finished");
    expect(outputs(result)).toContain("4");
    expect(outputs(result)).not.toMatch(/not run|TimeoutError|AbortError/);
    // 1 root → 4 children → 16 grandchildren, each grandchild's batch is 4 plain sub-calls.
    expect(seen.sub).toBe(64);
  });

  /**
   * A model whose loops at depth < `codeUpTo` answer with `attack(depth)` once, then FINAL; the
   * query (or llmQuery prompt) carries its depth as "L<n>". Plain sub-calls answer text.
   */
  function levelModel(attack: (depth: number) => string, codeUpTo: number, delayMs = 0) {
    const seen = { subs: 0 };
    const model = new MockLanguageModelV4({
      modelId: "levels",
      doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
        if (delayMs) await abortableDelay(delayMs, call.abortSignal);
        const prompt = promptOf(call);
        const depth = Number(/L(\d)/.exec(prompt)?.[1] ?? 0);
        let text = "sub-answer";
        if (!prompt.includes("REPL")) seen.subs++;
        else if (prompt.includes("REPL output") || depth > codeUpTo) text = "FINAL(done)";
        else text = `\`\`\`repl\n${attack(depth)}\n\`\`\``;
        return reply(text);
      },
    });
    return { model, seen };
  }

  it("maxWorkers below maxDepth: children still run their code (only levels past the cap could wait)", async () => {
    // maxDepth 3 on two workers; the depth-3 loop answers without code, so two workers suffice.
    const { model } = levelModel((depth) => `print(llmQuery('L${depth + 1} dig'))`, 2);
    const engine = nestedEngine({
      model,
      maxDepth: 3,
      sandbox: { workers: 0, maxWorkers: 2, wallTimeoutMs: 15_000 },
    });
    const result = await engine.query("L1: what does the report say?", { budget: { maxTimeSeconds: 60 } });
    expect(result.error).toBeUndefined();
    expect(result.answer).toBe("done");
    expect(outputs(result)).not.toMatch(/not run|TimeoutError/);
  });

  it("a deep query is not starved by a stream of shallow ones on the shared worker cap", async () => {
    // Engine A (maxDepth 1) keeps 16 code-running queries in flight on the process-wide cap of
    // 8 workers; engine B (maxDepth 3) needs three at once for its chain. Before, A's sessions
    // took every worker that came free, and B waited until A's stream stopped.
    const shallow = levelModel(() => "print(1)", 1, 5);
    const deep = levelModel((depth) => `print(llmQuery('L${depth + 1} dig'))`, 3);
    const a = nestedEngine({ model: shallow.model, maxIterations: 3 });
    const b = nestedEngine({ model: deep.model, maxDepth: 3 });
    let bDone = false;
    const streamEnds = Date.now() + 30_000;
    let aQueries = 0;
    const stream = Array.from({ length: 16 }, async () => {
      while (!bDone && Date.now() < streamEnds) {
        await a.query(`L1 shallow ${aQueries++}`);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await b.query("L1: dig deep", { budget: { maxTimeSeconds: 60 } });
    const finishedWhileStreamRan = Date.now() < streamEnds;
    bDone = true;
    await Promise.all(stream);
    expect(aQueries).toBeGreaterThan(16);
    expect(result.answer).toBe("done");
    expect(outputs(result)).not.toMatch(/not run|TimeoutError/);
    expect(deep.seen.subs).toBe(1); // the depth-3 loop's own llmQuery went out
    expect(finishedWhileStreamRan).toBe(true);
  });
});
