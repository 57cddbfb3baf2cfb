/**
 * The cap on worker threads alive at once (`maxWorkers`), with real worker threads: a session
 * beyond it waits for a worker to come free, the wait is bounded by the block's wall time and
 * ends with its signal, and isolation (a worker of its own per session) still holds.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../__fixtures__/memory-store.ts";
import { DeepRecallEngine } from "../engine.ts";
import { AbortError } from "../errors.ts";
import { createSandboxPool } from "./index.ts";
import type { SandboxHost, SandboxPool, SandboxSession } from "./types.ts";

const pools: SandboxPool[] = [];
const engines: DeepRecallEngine[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function pool(options: Parameters<typeof createSandboxPool>[0]): SandboxPool {
  const created = createSandboxPool(options);
  pools.push(created);
  return created;
}

function host(): { host: SandboxHost; searches: string[] } {
  const searches: string[] = [];
  return {
    searches,
    host: {
      searchDb: async (query) => {
        searches.push(query);
        return [{ id: query, content: `about ${query}`, metadata: {}, score: 1 }];
      },
      llmQuery: async (prompt) => prompt,
      llmQueryBatched: async (prompts) => prompts,
    },
  };
}

/**
 * Waits until `condition` holds (the test's own timeout bounds it). Fails at once if one of
 * `pending` (work expected to be waiting) settles first.
 */
async function until(condition: () => boolean, ...pending: Array<Promise<unknown>>): Promise<void> {
  let settled = false;
  for (const p of pending) {
    p.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
  }
  while (!condition()) {
    if (settled) throw new Error("expected it to wait for a worker, but it settled first");
    await sleep(5);
  }
}

describe("maxWorkers", () => {
  it("a session beyond the cap waits, then runs on the worker a disposed session hands over", async () => {
    const capped = pool({ maxWorkers: 2, workers: 1 });
    const [a, b, c] = [0, 1, 2].map(() => capped.createSession(host().host));
    const sessions = (await Promise.all([a, b, c])) as SandboxSession[];
    await sessions[0]!.run("const mine = 'a'");
    await sessions[1]!.run("const mine = 'b'");
    const waiting = sessions[2]!.run("print(typeof mine, 'c ran')");
    await until(() => capped.stats().sessionsWaiting === 1, waiting);
    expect(capped.stats()).toMatchObject({ workersAlive: 2, maxWorkers: 2, sessions: 3 });
    await sessions[0]!.dispose();
    const result = await waiting;
    expect(result.error).toBeUndefined();
    // A session of its own: nothing of the session that had the worker before.
    expect(result.output).toBe("undefined c ran");
    expect(capped.stats()).toMatchObject({ workersStarted: 2, workersAlive: 2, sessionsWaiting: 0 });
    expect((await sessions[1]!.run("print(mine)")).output).toBe("b");
    await Promise.all([sessions[1]!.dispose(), sessions[2]!.dispose()]);
  });

  it("an aborted waiter leaves the line without running; the next one gets the worker", async () => {
    const capped = pool({ maxWorkers: 1, workers: 0 });
    const { host: h, searches } = host();
    const holder = await capped.createSession(h);
    await holder.run("const x = 1");
    const leaving = await capped.createSession(h);
    const staying = await capped.createSession(h);
    const controller = new AbortController();
    const aborted = leaving.run("searchDb('leaving')", { signal: controller.signal });
    const next = staying.run("print(searchDb('staying')[0].id)");
    await until(() => capped.stats().sessionsWaiting === 2, aborted, next);
    controller.abort();
    expect(await aborted).toMatchObject({ output: "", error: "AbortError: the block was aborted" });
    expect(capped.stats().sessionsWaiting).toBe(1);
    await holder.dispose();
    expect((await next).output).toBe("staying");
    expect(searches).toEqual(["staying"]);
    // The aborted session can still run a block later.
    await staying.dispose();
    expect((await leaving.run("print('later')")).output).toBe("later");
    await leaving.dispose();
    expect(capped.stats()).toMatchObject({ sessions: 0, sessionsWaiting: 0, workersStarted: 1 });
  });

  it("a block that waits its whole wall time is not run, and the model is told why", async () => {
    const capped = pool({ maxWorkers: 1, workers: 0 });
    const holder = await capped.createSession(host().host);
    await holder.run("const x = 1");
    const { host: h, searches } = host();
    // The wall time also bounds the block run after the holder leaves (worker hand-over, session
    // set-up, the block): 1 s leaves a busy machine room for that.
    const late = await capped.createSession(h, { limits: { wallTimeoutMs: 1000 } });
    const result = await late.run("searchDb('never')");
    expect(result.limit).toBe("timeout");
    expect(result.error).toMatch(
      /^TimeoutError: the block was not run: it waited 1000 ms \(its wall-time limit\) for a sandbox, and all 1 sandbox workers stayed in use/,
    );
    expect(searches).toEqual([]);
    expect(capped.stats().sessionsWaiting).toBe(0);
    await holder.dispose();
    expect((await late.run("print(searchDb('now')[0].id)")).output).toBe("now");
    await late.dispose();
  });

  it("a session disposed while it waits leaves the line and takes nothing", async () => {
    const capped = pool({ maxWorkers: 1, workers: 0 });
    const holder = await capped.createSession(host().host);
    await holder.run("const x = 1");
    const gone = await capped.createSession(host().host);
    const pending = gone.run("print('never')");
    await until(() => capped.stats().sessionsWaiting === 1, pending);
    await gone.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    expect(capped.stats()).toMatchObject({ sessionsWaiting: 0, sessions: 1, workersAlive: 1 });
    await holder.dispose();
  });

  it("a child session that cannot get a worker while its parent holds the last one is told so, and the parent goes on", async () => {
    const capped = pool({ maxWorkers: 1, workers: 0 });
    const parentHost: SandboxHost = {
      ...host().host,
      async llmQuery(prompt) {
        // Like the engine's child loop with maxDepth > 1: a session of its own.
        const child = await capped.createSession(host().host, { limits: { wallTimeoutMs: 200 } });
        try {
          const result = await child.run(`print(${JSON.stringify(prompt)})`);
          return result.error ?? result.output;
        } finally {
          await child.dispose();
        }
      },
    };
    const parent = await capped.createSession(parentHost);
    const result = await parent.run("const told = llmQuery('dig')\nprint(told)");
    expect(result.error).toBeUndefined();
    expect(result.output).toMatch(/^TimeoutError: the block was not run: it waited 200 ms/);
    expect((await parent.run("print(told.length > 0)")).output).toBe("true");
    await parent.dispose();
  });

  it("a bomb's memory stays counted until its worker has exited, and dispose resolves after that", async () => {
    const capped = pool({
      maxWorkers: 2,
      workers: 0,
      memoryBytes: 16 * 1024 * 1024,
      totalMemoryBytes: 256 * 1024 * 1024,
    });
    const bomb = await capped.createSession(host().host);
    const result = await bomb.run("const a = []; while (true) a.push(new Array(1e5).fill(7))");
    expect(result.limit).toBe("memory");
    // Its instance grew past its initial 16 MiB, so all of its memory is counted, not only the
    // growth (which cannot pass 20 MiB: the instance is capped at the heap limit + 20 MiB), and it
    // stays counted while the memory is still in the worker.
    expect(capped.stats().memoryGrantedBytes).toBeGreaterThan(20 * 1024 * 1024);
    const alive = capped.stats().workersAlive;
    await bomb.dispose();
    expect(capped.stats()).toMatchObject({ memoryGrantedBytes: 0, workersAlive: alive - 1 });
  });

  it("pools that leave maxWorkers out share one cap of 8; idle workers of one are ended for sessions of another", async () => {
    const warm = pool({ workers: 2 });
    const busy = pool({ workers: 0 });
    expect(warm.stats().maxWorkers).toBe(8);
    const first = await warm.createSession(host().host);
    await first.run("const x = 1");
    await first.dispose();
    expect(warm.stats().workersIdle).toBe(2);
    const sessions = await Promise.all(Array.from({ length: 8 }, () => busy.createSession(host().host)));
    const results = await Promise.all(sessions.map((s, i) => s.run(`const mine = ${i}\nprint(mine)`)));
    expect(results.map((r) => r.output)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(busy.stats().workersAlive).toBe(8);
    expect(warm.stats()).toMatchObject({ workersIdle: 0, workersAlive: 0 });
    await Promise.all(sessions.map((s) => s.dispose()));
  });
});

describe("maxWorkers through the engine", () => {
  it("a query beyond the cap waits for a worker, can be aborted while it waits, and others answer", async () => {
    const store = new MemoryStore();
    await store.addDocuments({ ids: ["acme"], documents: ["Acme was founded by Jane Doe."] });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const model = new MockLanguageModelV4({
      modelId: "capped",
      doGenerate: async (call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> => {
        const prompt = JSON.stringify(call.prompt);
        const later = call.prompt.some((message) => message.role === "assistant");
        let text = "```repl\nconst hits = searchDb('Acme')\nprint(hits.length)\n```";
        if (later) {
          // The holding query keeps its session (and its worker) until the gate opens.
          if (prompt.includes("holding query")) await gate;
          text = "FINAL(Jane Doe)";
        }
        return {
          content: [{ type: "text", text }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: {
            inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 5, text: 5, reasoning: 0 },
          },
          warnings: [],
        };
      },
    });
    const capped = pool({ maxWorkers: 1, workers: 0 });
    const engine = new DeepRecallEngine({ vectorStore: store, model, sandbox: capped });
    engines.push(engine);
    const holding = engine.query("holding query: who founded Acme?");
    await until(() => capped.stats().workersAlive === 1 && capped.stats().sessions === 1);
    const controller = new AbortController();
    const aborted = engine.query("aborted query: who founded Acme?", { signal: controller.signal });
    const waiting = engine.query("waiting query: who founded Acme?");
    await until(() => capped.stats().sessionsWaiting === 2, aborted, waiting);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    expect(capped.stats().sessionsWaiting).toBe(1);
    release();
    const [held, waited] = await Promise.all([holding, waiting]);
    expect(held.answer).toBe("Jane Doe");
    expect(waited.answer).toBe("Jane Doe");
    expect(waited.reasoningTrace[0]!.output).toBe("1");
    expect(capped.stats()).toMatchObject({ sessions: 0, sessionsWaiting: 0, workersStarted: 1 });
  });
});
