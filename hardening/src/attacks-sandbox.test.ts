/**
 * Issue 17, items 2–7: hostile model code against the sandbox, through the public engine API.
 * Each attack is the block a scripted root model writes in its first turn (later turns answer
 * with FINAL); the doubles count what went out (model calls at the mock, searches at the store)
 * and the test reads what the model was told (the step's output, and the next prompt it got).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import {
  createSandboxPool,
  DeepRecallEngine,
  type DeepRecallEngineOptions,
  type SandboxPool,
  type SandboxWorkerReport,
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
const pools: SandboxPool[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-attacks-sandbox-"));
  local = new LocalStore({ directory: join(dir, "store") });
  await local.addDocuments({ documents: SEED_DOCUMENTS, ids: SEED_DOCUMENTS.map((_, i) => `seed-${i}`) });
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The seeded local store, recording every search that reaches it. */
const attackStore = () => countingStore(local, "attacks");

const promptOf = (call: LanguageModelV4CallOptions) => JSON.stringify(call.prompt);

/**
 * A root model that writes `turns[i]` as its i-th reply (a repl block unless it starts with
 * FINAL), then FINAL. Sub-calls answer "sub-answer" after `subDelayMs`, honouring the abort;
 * from the `subHangsFrom`-th sub-call on (1-based), they wait 60 s instead.
 */
function scripted(turns: string[], options: { subDelayMs?: number; subHangsFrom?: number } = {}) {
  const seen = {
    root: 0,
    sub: 0,
    longestPrompt: 0,
    rootPrompts: [] as string[],
    aborted: 0,
    /** How many sub-calls had been cancelled when the root model was asked its i-th turn. */
    abortedByRootTurn: [] as number[],
  };
  const model = new MockLanguageModelV4({
    modelId: "attacker",
    doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
      const prompt = promptOf(call);
      seen.longestPrompt = Math.max(seen.longestPrompt, prompt.length);
      let text: string;
      if (prompt.includes("Question: ")) {
        const turn = turns[seen.root] ?? "FINAL(done)";
        seen.root++;
        seen.rootPrompts.push(prompt);
        seen.abortedByRootTurn.push(seen.aborted);
        text = turn.startsWith("FINAL") ? turn : `\`\`\`repl\n${turn}\n\`\`\``;
      } else {
        seen.sub++;
        const hangs = options.subHangsFrom !== undefined && seen.sub >= options.subHangsFrom;
        const delayMs = hangs ? 60_000 : options.subDelayMs;
        if (delayMs) {
          try {
            await abortableDelay(delayMs, call.abortSignal);
          } catch (error) {
            seen.aborted++;
            throw error;
          }
        }
        text = "sub-answer";
      }
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: mockUsage(10, 10),
        warnings: [],
      };
    },
  });
  return { model, seen };
}

async function run(
  turns: string[],
  options: {
    engine?: Partial<DeepRecallEngineOptions>;
    subDelayMs?: number;
    subHangsFrom?: number;
    query?: string;
  } = {},
) {
  const { model, seen } = scripted(turns, options);
  const store = attackStore();
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model,
    sandbox: { workers: 1 },
    maxIterations: 4,
    ...options.engine,
  });
  engines.push(engine);
  const result = await engine.query(options.query ?? "What does the report say about attacks?");
  return { result, seen, store };
}

describe("sandbox attacks (issue 17)", () => {
  it("a loop of slow llmQuery calls is stopped by the block's wall-time limit, and the call in flight is cancelled", async () => {
    // Calls 1-3 answer after 200 ms, the 4th waits until it is cancelled: the stop surely lands
    // while a call is in flight (with every call answering, it could land between two calls, on
    // a busy machine, and then none is cancelled).
    const { result, seen } = await run(
      ["let n = 0; for (;;) { try { llmQuery('again ' + n); n++; } catch (e) { print(e.name); } }"],
      {
        engine: { sandbox: { workers: 1, timeoutMs: 1_000, wallTimeoutMs: 1_500 } },
        subDelayMs: 200,
        subHangsFrom: 4,
      },
    );
    const told = result.reasoningTrace[0]!.output;
    expect(told).toMatch(/^Error: TimeoutError: block exceeded its wall-time limit of 1500 ms/);
    // Never an unbounded loop: the calls the block goes on making after the stop (it catches
    // the error and loops) are refused without reaching the model.
    expect(seen.sub).toBeLessThanOrEqual(4);
    expect(seen.aborted).toBe(1);
    // Cancelled by the stop itself, before the model's next turn (not only when the query ended).
    expect(seen.abortedByRootTurn).toEqual([0, 1]);
    expect(result.answer).toBe("done");
  });

  it("a memory bomb is stopped and the model is told it ran out of memory", async () => {
    const { result } = await run([
      "const a = []; while (true) a.push(new Array(1e6).fill(7))",
      "print(typeof a)",
    ]);
    expect(result.reasoningTrace[0]!.output).toMatch(
      /^Error: MemoryError: block exceeded the sandbox memory limit \(64 MiB\)/,
    );
    // What the bomb declared was dropped, so the next block runs normally.
    expect(result.reasoningTrace[1]!.output).toBe("undefined");
  });

  it("concurrent memory bombs share one memory budget: together they cannot grow past it, and give it back", async () => {
    // Eight bombs at the default 64 MiB each took ~700 MiB of process memory before the budget
    // (peaks per count in the sandbox benchmark); here the budget fits about one full session.
    const pool = createSandboxPool({ workers: 1, totalMemoryBytes: 96 * 1024 * 1024 });
    pools.push(pool);
    let peakGranted = 0;
    const sampler = setInterval(() => {
      peakGranted = Math.max(peakGranted, pool.stats().memoryGrantedBytes);
    }, 5);
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(["const a = []; while (true) a.push(new Array(1e6).fill(7))", "print('after')"], {
          engine: { sandbox: pool },
        }),
      ),
    );
    clearInterval(sampler);
    expect(peakGranted).toBeLessThanOrEqual(96 * 1024 * 1024);
    const told = runs.map(({ result }) => result.reasoningTrace[0]!.output);
    for (const output of told)
      expect(output).toMatch(/^Error: MemoryError: block (exceeded|ran out of memory)/);
    // At least one bomb met the shared budget rather than its own limit, and was told so.
    expect(told.some((o) => o.includes("the memory all sandboxes share is in use"))).toBe(true);
    for (const { result } of runs) {
      expect(result.reasoningTrace[1]!.output).toBe("after");
      expect(result.answer).toBe("done");
    }
    expect(pool.stats().sessions).toBe(0);
    expect(pool.stats().memoryGrantedBytes).toBe(0);
  });

  it("out-of-memory errors the code catches cannot keep the memory", async () => {
    const { result } = await run(
      [
        "const keep = 'mine'",
        "const hoard = []; for (let i = 0; i < 100000; i++) { try { hoard.push(new Array(1e5).fill(i)) } catch (e) {} }",
        "print(keep, typeof hoard === 'undefined' || hoard === undefined)",
      ],
      { engine: { sandbox: { workers: 1, memoryBytes: 32 * 1024 * 1024, timeoutMs: 3_000 } } },
    );
    expect(result.reasoningTrace[1]!.output).toMatch(/^Error: (MemoryError|TimeoutError)/);
    expect(result.reasoningTrace[1]!.output).toMatch(/memory|allocation fails/);
    expect(result.reasoningTrace[2]!.output).toMatch(/^(mine true|undefined true)$/);
  });

  it("a Map that outgrows the heap is reported as out of memory, not 'Uncaught: null'", async () => {
    const { result } = await run(["const m = new Map(); let i = 0; while (true) m.set(i++, 'v' + i)"]);
    expect(result.reasoningTrace[0]!.output).toMatch(/^Error: MemoryError/);
    expect(result.reasoningTrace[0]!.output).not.toContain("Uncaught: null");
  });

  it("caught errors hoarded until the heap gives out are reported as out of memory, not a crash", async () => {
    const { result } = await run([
      "const a = []; while (true) { try { throw new Error('x'.repeat(1e5)) } catch (x) { a.push(x) } }",
      "print('after')",
    ]);
    const told = result.reasoningTrace[0]!.output;
    expect(told).toMatch(/^Error: (MemoryError|TimeoutError)/);
    expect(told).toMatch(/memory|allocation fails/);
    expect(result.reasoningTrace[1]!.output).toBe("after");
  });

  it("an output flood cannot push the timeout out of what the model reads", async () => {
    const { result, seen } = await run(
      ["const s = 'x'.repeat(30_000_000); for (let i = 0; i < 200; i++) print(s); while (true) {}"],
      { engine: { sandbox: { workers: 1, timeoutMs: 1_500 } } },
    );
    const told = result.reasoningTrace[0]!.output;
    expect(told).toMatch(/^Error: TimeoutError: block exceeded 1500 ms of execution time/);
    expect(told.length).toBeLessThanOrEqual(12_500);
    // The next turn's prompt carries it too.
    expect(seen.rootPrompts[1]).toContain("TimeoutError: block exceeded 1500 ms");
  });

  it("JSON.stringify of a 60,000-deep array ends with an error the model reads, and the query goes on", async () => {
    const reports: SandboxWorkerReport[] = [];
    const { result } = await run(
      [
        "let a = []; for (let i = 0; i < 60000; i++) a = [a]; print(JSON.stringify(a).length)",
        "print('next block runs')",
      ],
      { engine: { sandbox: { workers: 1, timeoutMs: 1_000, onWorkerError: (r) => reports.push(r) } } },
    );
    expect(result.reasoningTrace[0]!.output).toMatch(
      /^Error: (InternalError|RangeError|TimeoutError|MemoryError)/,
    );
    // No QuickJS abort on the way (a runtime freed half-way through an operation): only a worker
    // stopped for running past its time limit is an expected report.
    expect(reports.filter((r) => r.kind !== "hang")).toEqual([]);
    expect(result.reasoningTrace[1]!.output).toBe("next block runs");
    expect(result.answer).toBe("done");
  });

  it("given the time, the same JSON.stringify overflows QuickJS's stack: that session is reset, nothing aborts", async () => {
    const reports: SandboxWorkerReport[] = [];
    const { result, seen } = await run(
      [
        "const kept = 1; let a = []; for (let i = 0; i < 60000; i++) a = [a]; print(JSON.stringify(a).length)",
        "print(typeof kept)",
      ],
      // A time limit it cannot reach (under load the overflow takes seconds): the overflow ends it.
      { engine: { sandbox: { workers: 1, timeoutMs: 120_000, onWorkerError: (r) => reports.push(r) } } },
    );
    expect(result.reasoningTrace[0]!.output).toMatch(
      /^Error: RangeError: block overflowed the sandbox's stack .*variables from earlier blocks are lost$/,
    );
    expect(seen.rootPrompts[1]).toContain("block overflowed the sandbox's stack");
    expect(result.reasoningTrace[1]!.output).toBe("undefined");
    expect(result.answer).toBe("done");
    expect(reports).toEqual([]);
  }, 150_000);

  it("many blocks in one reply: every block's error reaches the model, and runaway blocks cost one timeout", async () => {
    const noisy = Array.from({ length: 7 }, () => 'throw new Error("x".repeat(5000))');
    const { result, seen } = await run([[...noisy, "while (true) {}"].join("\n```\n```repl\n")], {
      engine: { sandbox: { workers: 1, timeoutMs: 300 } },
    });
    const told = result.reasoningTrace[0]!.output;
    expect(told).toContain("[block 8]\nError: TimeoutError: block exceeded 300 ms");
    expect(seen.rootPrompts[1]).toContain("TimeoutError: block exceeded 300 ms");
    const spinning = await run(
      [Array.from({ length: 20 }, () => "while (true) {}").join("\n```\n```repl\n")],
      {
        engine: { sandbox: { workers: 1, timeoutMs: 300 } },
      },
    );
    const spun = spinning.result.reasoningTrace[0]!;
    expect(spun.output).toContain("[blocks 2–20 were not run: an earlier block was stopped by a limit]");
    expect(spun.code).toHaveLength(1); // only the first runaway block ran
  });

  it("oversized host-call arguments never go out, and the model is told the limit", async () => {
    const { result, seen, store } = await run([
      [
        "const huge = 'q'.repeat(20_000_000);",
        "for (const f of [() => searchDb(huge), () => llmQuery(huge), () => llmQueryBatched([huge]), () => searchDb('Ada', 5, { n: { $ne: huge } })]) {",
        "  try { f(); } catch (e) { print(e.name + ': ' + e.message.slice(0, 60)); }",
        "}",
      ].join("\n"),
    ]);
    expect(store.searches.every((q) => q.length <= 4_000)).toBe(true);
    expect(seen.sub).toBe(0);
    expect(seen.longestPrompt).toBeLessThan(1_000_000);
    const told = result.reasoningTrace[0]!.output;
    expect(told).toContain("RangeError: searchDb: the query is 20000000 characters");
    expect(told).toContain("RangeError: llmQuery: the prompt is 20000000 characters");
    expect(told).toContain("RangeError: llmQueryBatched: the prompt is 20000000 characters");
    expect(told).toMatch(/RangeError: searchDb: the filter \(as JSON\) is 200000\d\d characters/);
  });

  it("the reasoning trace stays small when sub-calls carry huge prompts", async () => {
    const { result, seen } = await run([
      "const p = 'p'.repeat(99_000); for (let i = 0; i < 30; i++) llmQuery(p + i); print('sent')",
    ]);
    expect(seen.sub).toBe(30);
    const calls = result.reasoningTrace[0]!.subLLMCalls;
    expect(calls).toHaveLength(30);
    expect(calls.every((c) => c.prompt.length < 5_000)).toBe(true);
    expect(JSON.stringify(result).length).toBeLessThan(500_000);
  });

  it("a 40-million-character FINAL is refused; the answer stays bounded", async () => {
    const { result } = await run(["const big = 'a'.repeat(40_000_000); FINAL(big)"]);
    expect(result.answer.length).toBeLessThanOrEqual(100_000);
    expect(result.reasoningTrace[0]!.output).toMatch(/RangeError: FINAL: the answer is 40000000 characters/);
  });

  it("a victim query keeps its variables while another query's block runs away on the same pool", async () => {
    const reports: SandboxWorkerReport[] = [];
    const pool = createSandboxPool({ workers: 1, timeoutMs: 1_000, onWorkerError: (r) => reports.push(r) });
    pools.push(pool);
    let releaseVictim: () => void = () => {};
    const victimWaiting = new Promise<void>((resolve) => {
      releaseVictim = resolve;
    });
    let victimInCall: () => void = () => {};
    const victimCalled = new Promise<void>((resolve) => {
      victimInCall = resolve;
    });
    const victimTurns = [
      "```repl\nconst secret = 'victim state'\nconst got = llmQuery('slow')\nprint(got)\n```",
      "```repl\nprint(secret)\n```",
    ];
    let victimTurn = 0;
    const victimModel = new MockLanguageModelV4({
      modelId: "victim",
      doGenerate: async (call): Promise<LanguageModelV4GenerateResult> => {
        const prompt = promptOf(call);
        let text: string;
        if (!prompt.includes("Question: ")) {
          victimInCall();
          await victimWaiting;
          text = "slow answer";
        } else {
          text = victimTurns[victimTurn++] ?? "FINAL(victim done)";
        }
        return {
          content: [{ type: "text", text }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: mockUsage(1, 1),
          warnings: [],
        };
      },
    });
    const victim = new DeepRecallEngine({ vectorStore: attackStore(), model: victimModel, sandbox: pool });
    engines.push(victim);
    const victimRun = victim.query("Victim question?");
    await victimCalled;
    // A heap so full that every allocation fails and is caught: QuickJS spends its time in the
    // garbage collector and stops answering interrupts, so the watchdog kills that worker.
    const { result: attack } = await run(
      ["const a = []; while (true) { try { a.push(new Array(1e5).fill(7)) } catch {} }"],
      { engine: { sandbox: pool } },
    );
    expect(attack.reasoningTrace[0]!.output).toMatch(/^Error: (TimeoutError|MemoryError)/);
    releaseVictim();
    const result = await victimRun;
    expect(result.error).toBeUndefined();
    expect(result.reasoningTrace[0]!.output).toBe("slow answer");
    expect(result.reasoningTrace[1]!.output).toBe("victim state");
    expect(result.answer).toBe("victim done");
    expect(reports.filter((r) => r.kind === "quickjs")).toEqual([]);
  });

  it("memory other sessions hold cannot cost a session its variables: only the refused block's own are cleared", async () => {
    const reports: SandboxWorkerReport[] = [];
    const pool = createSandboxPool({ workers: 1, timeoutMs: 5_000, onWorkerError: (r) => reports.push(r) });
    pools.push(pool);
    const host = {
      searchDb: async () => [],
      llmQuery: async () => "answer",
      llmQueryBatched: async (prompts: string[]) => prompts.map(() => "answer"),
    };
    // Four sessions grow their instances to ~62 MiB each and free it again: WebAssembly memory
    // never shrinks, so they keep nearly all of the shared budget (192 MiB by default).
    const holders = [];
    for (let i = 0; i < 4; i++) {
      const holder = await pool.createSession(host, {});
      holders.push(holder);
      await holder.run(
        "{ let t = []; try { for (let i = 0; i < 62; i++) t.push('x'.repeat((1 << 20) - 64) + i); } catch (e) {} t = null }",
      );
    }
    const victim = await pool.createSession(host, {});
    await victim.run("const secret = 'victim state'");
    // Small objects by the hundred thousand: the shared budget refuses the pages (measuring the
    // heap then fails too, which used to count as this session's own heap being full).
    const refused = await victim.run(
      "const rows = []; for (let i = 0; i < 200000; i++) rows.push({ i, s: 'row' + i }); print(rows.length)",
    );
    expect(refused.error).toContain("the memory all sandboxes share is in use by other queries' blocks");
    expect(refused.error).not.toContain("lost");
    // The other sessions end and give their memory back: the victim goes on with its variables.
    for (const holder of holders) await holder.dispose();
    const after = await victim.run("rows.length = 0; print(secret)");
    expect(after.error).toBeUndefined();
    expect(after.output).toBe("victim state");
    await victim.dispose();
    expect(reports).toEqual([]);
  });

  it("engine.close() during a block stops the query: it rejects, and nothing more goes out", async () => {
    const pool = createSandboxPool({ workers: 1 });
    pools.push(pool);
    for (const block of [
      "for (;;) { try { llmQuery('again') } catch (e) {} }",
      "for (;;) { try { searchDb('again ' + Math.random()) } catch (e) {} }",
      "while (true) {}",
    ]) {
      const { model, seen } = scripted([block], { subDelayMs: 20 });
      const store = attackStore();
      // A pool shared with other engines: closing this engine does not close the pool.
      const engine = new DeepRecallEngine({ vectorStore: store, model, sandbox: pool });
      engines.push(engine);
      const query = engine.query("What does the report say?", { budget: { maxTimeSeconds: 30 } });
      const outcome = query.then(
        () => "resolved",
        (error: Error) => error.name,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await engine.close();
      // Settled by the time close() returns.
      const calls = seen.root + seen.sub;
      const searches = store.searches.length;
      expect(await Promise.race([outcome, "pending"])).toBe("AbortError");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([seen.root + seen.sub, store.searches.length]).toEqual([calls, searches]);
    }
  });

  it("a query whose model answers at once starts no sandbox worker", async () => {
    const pool = createSandboxPool({ workers: 1 });
    pools.push(pool);
    const { result } = await run(["FINAL(at once)"], { engine: { sandbox: pool } });
    expect(result.answer).toBe("at once");
    expect(pool.stats().workersStarted).toBe(0);
  });

  it("FINAL_VAR of a value whose toJSON loops over llmQuery or throws: no call goes out, the run ends, the model is told", async () => {
    const loop = await run(
      [
        "var trap = { toJSON() { let n = 0; for (;;) { try { llmQuery('leak' + n++) } catch (e) {} } } }",
        "FINAL_VAR(trap)",
        "FINAL(recovered)",
      ],
      { engine: { sandbox: { workers: 1, timeoutMs: 1_000, wallTimeoutMs: 3_000 } } },
    );
    expect(loop.seen.sub).toBe(0);
    expect(loop.result.answer).toBe("recovered");
    expect(loop.result.reasoningTrace[1]!.output).toMatch(/FINAL_VAR\(trap\): reading the variable failed/);
    const throwing = await run([
      "var x = { toJSON() { throw 1 }, toString() { throw 2 } }",
      "FINAL_VAR(x)",
      "FINAL(recovered)",
    ]);
    expect(throwing.result.answer).toBe("recovered");
    expect(throwing.result.reasoningTrace[1]!.output).toMatch(/FINAL_VAR\(x\): reading the variable failed/);
  });

  it("gives every session and its worker back, however the run ends (FINAL after code, limits, child loops)", async () => {
    const pool = createSandboxPool({ workers: 1, timeoutMs: 500 });
    pools.push(pool);
    const endings: Array<[string[], Partial<DeepRecallEngineOptions>]> = [
      [["print(searchDb('Ada').length)", "FINAL(done)"], {}],
      [["const a = 1", "const b = 2"], { maxIterations: 2 }],
      [["while (true) {}", "FINAL(done)"], {}],
      [["print(llmQuery('dig into Ada'))", "FINAL(done)"], { maxDepth: 2 }],
    ];
    for (let i = 0; i < 3; i++) {
      for (const [turns, engine] of endings) {
        const { result } = await run(turns, { engine: { sandbox: pool, ...engine } });
        expect(result.answer.trim()).not.toBe("");
      }
    }
    expect(pool.stats().sessions).toBe(0);
    // Workers whose session ended go back to the warm set (at most `workers`) or are terminated.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // No worker per query is left behind: the one kept warm, plus at most one spare.
    expect(pool.stats().workersAlive).toBeLessThanOrEqual(2);
  });
});

describe("host-call plumbing that model code cannot bend (third round of attacks)", () => {
  it("host-call arguments never go through a toJSON model code put on Array.prototype", async () => {
    // Such a toJSON could send the host's thread any amount of JSON to parse (1.9 s blocked,
    // +468 MiB for one call, in the attack).
    const { result, seen } = await run([
      [
        "let calls = 0;",
        "Object.defineProperty(Array.prototype, 'toJSON', { configurable: true, writable: true, value: function () { calls++; return this; } });",
        "llmQuery('payload'); searchDb('Ada', 2); llmQueryBatched(['x', 'y']);",
        "print('toJSON calls: ' + calls);",
      ].join("\n"),
    ]);
    expect(result.reasoningTrace[0]!.output).toBe("toJSON calls: 0");
    expect(seen.sub).toBe(3);
  });

  it("a filter is serialised once: a toJSON cannot pass the size check small and send something else", async () => {
    const { result } = await run([
      [
        "let k = 0;",
        "const f = { toJSON() { return k++ % 2 === 0 ? { topic: 'none' } : { topic: 'none', pad: 'x'.repeat(50000) }; } };",
        "try { print('hits: ' + searchDb('Ada', 3, f).length + ', toJSON: ' + k); } catch (e) { print(e.name + ': ' + e.message); }",
      ].join("\n"),
    ]);
    expect(result.reasoningTrace[0]!.output).toBe("hits: 0, toJSON: 1");
  });

  it("print cuts its text with its own slice, not a String.prototype.slice model code replaced", async () => {
    const { result } = await run([
      "globalThis.sliced = 0; String.prototype.slice = function () { globalThis.sliced++; return String(this); }; print('x'.repeat(100000));",
      "print('sliced: ' + globalThis.sliced)",
    ]);
    expect(result.reasoningTrace[1]!.output).toBe("sliced: 0");
  });

  it("FINAL ends the block's host calls, even when the code catches it and goes on", async () => {
    const { result, seen } = await run([
      "try { FINAL('the answer is 42'); } catch (e) {}\nfor (let i = 0; i < 5; i++) { try { llmQuery('after ' + i); } catch (e) {} }\nPromise.resolve().then(() => searchDb('Ada'));",
    ]);
    expect(result.answer).toBe("the answer is 42");
    expect(seen.sub).toBe(0);
  });
});
