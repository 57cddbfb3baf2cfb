import { createSandboxPool, type SandboxHost, type SandboxPool } from "@deeprecall/core";
import type { BenchContext, Goal, ScenarioReport } from "../context.ts";
import { fmt } from "../stats.ts";

const MiB = 1024 * 1024;

const HOST: SandboxHost = {
  searchDb: async () => [],
  llmQuery: async (prompt) => prompt,
  llmQueryBatched: async (prompts) => prompts,
};

/** The attacks of issue 17 that go after memory, as the model would write them. */
const BOMBS: Array<{ name: string; code: string }> = [
  { name: "array bomb", code: "const a = []; while (true) a.push(new Array(1e6).fill(7))" },
  {
    name: "caught array bomb (try/catch)",
    code: "const a = []; while (true) { try { a.push(new Array(1e5).fill(7)) } catch {} }",
  },
  { name: "Map bomb", code: "const m = new Map(); let i = 0; while (true) m.set(i++, 'v' + i)" },
  {
    // 256 prompts of ~100,000 characters: every copy of the call's arguments on their way out of
    // the sandbox is process memory outside the sandboxes' budget (refused by maxBatchChars).
    name: "batch-arguments bomb",
    code: "const ps = []; for (let i = 0; i < 256; i++) ps.push(String.fromCharCode(97 + (i % 26)).repeat(99990) + i); llmQueryBatched(ps)",
  },
];

interface MemoryRun {
  attack: string;
  concurrent: number;
  baseMiB: number;
  peakMiB: number;
  afterMiB: number;
  errors: string[];
  ms: number;
  /** Most worker threads the pool had alive at once during the run. */
  workers: number;
}

const rssMiB = () => process.memoryUsage().rss / MiB;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `concurrent` sessions of `code` at once on `pool`, sampling the process RSS every 5 ms
 * from before the first session until 2 s after the last one was disposed.
 */
async function memoryRun(
  pool: SandboxPool,
  attack: string,
  code: string,
  concurrent: number,
): Promise<MemoryRun> {
  global.gc?.();
  await sleep(200);
  const baseMiB = rssMiB();
  let peakMiB = baseMiB;
  let workers = pool.stats().workersAlive;
  const sampler = setInterval(() => {
    peakMiB = Math.max(peakMiB, rssMiB());
    workers = Math.max(workers, pool.stats().workersAlive);
  }, 5);
  const started = performance.now();
  const errors = await Promise.all(
    Array.from({ length: concurrent }, async () => {
      const session = await pool.createSession(HOST);
      try {
        const result = await session.run(code);
        return (result.error ?? "no error").split(/[:.(]/)[0]!;
      } finally {
        await session.dispose();
      }
    }),
  );
  const ms = performance.now() - started;
  await sleep(2_000);
  clearInterval(sampler);
  return {
    attack,
    concurrent,
    baseMiB,
    peakMiB,
    afterMiB: rssMiB(),
    errors: [...new Set(errors)],
    ms,
    workers,
  };
}

export async function runSandboxScenario(ctx: BenchContext): Promise<ScenarioReport> {
  ctx.log("scenario 6: sandbox under attack");
  const pool = createSandboxPool({ workers: 2, onWorkerError: () => {} });
  const runs: MemoryRun[] = [];
  try {
    // Start the warm workers, so the base includes what a serving process always has.
    const warm = await pool.createSession(HOST);
    await warm.run("const x = 1");
    await warm.dispose();
    for (const concurrent of [1, 4, 8, 16, 32]) {
      runs.push(await memoryRun(pool, BOMBS[0]!.name, BOMBS[0]!.code, concurrent));
      ctx.log(
        `  ${BOMBS[0]!.name} x${concurrent}: peak +${fmt(runs.at(-1)!.peakMiB - runs.at(-1)!.baseMiB, 0)} MiB`,
      );
    }
    for (const bomb of BOMBS.slice(1)) {
      runs.push(await memoryRun(pool, bomb.name, bomb.code, 1));
      ctx.log(`  ${bomb.name}: peak +${fmt(runs.at(-1)!.peakMiB - runs.at(-1)!.baseMiB, 0)} MiB`);
    }
    const batch = BOMBS.at(-1)!;
    runs.push(await memoryRun(pool, batch.name, batch.code, 16));
    ctx.log(`  ${batch.name} x16: peak +${fmt(runs.at(-1)!.peakMiB - runs.at(-1)!.baseMiB, 0)} MiB`);
  } finally {
    await pool.close();
  }

  const over = (r: MemoryRun) => r.peakMiB - r.baseMiB;
  const left = (r: MemoryRun) => r.afterMiB - r.baseMiB;
  const goals: Goal[] = [];
  // The cap on workers alive at once (maxWorkers) bounds any number of concurrent bombs, so every
  // count is held to the issue's target.
  for (const r of runs) {
    goals.push({
      scenario: "6. Sandbox",
      goal: `${r.attack}${r.concurrent > 1 ? ` ×${r.concurrent} at once` : ""}: RSS peak ≤ base + 512 MiB`,
      measured: `+${fmt(over(r), 0)} MiB`,
      met: over(r) <= 512,
    });
    goals.push({
      scenario: "6. Sandbox",
      goal: `${r.attack}${r.concurrent > 1 ? ` ×${r.concurrent} at once` : ""}: RSS back within base + 256 MiB 2 s after`,
      measured: `+${fmt(left(r), 0)} MiB`,
      met: left(r) <= 256,
    });
  }
  const markdown = [
    "Model-written memory bombs against the sandbox with its default limits (64 MiB of QuickJS heap per session, 192 MiB shared by all sessions, at most 8 worker threads alive at once), each in a session of its own on a pool with 2 warm workers, the process's RSS sampled every 5 ms from before the sessions start until 2 s after they are disposed. Each session runs in a worker thread of its own, in a WebAssembly instance whose memory cannot grow past the heap limit plus 20 MiB of fixed overhead; a worker whose session's memory grew is terminated when the session ends, which gives its memory back at once. Beyond 8 sessions at once, a session waits for a worker to come free (`maxWorkers`), so 16 or 32 bombs cost what 8 do, spread over more time.",
    "",
    "| Attack | At once | Workers (most alive) | Base MiB | Peak MiB (over base) | 2 s after MiB (over base) | Time ms | What the model was told |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...runs.map(
      (r) =>
        `| ${r.attack} | ${r.concurrent} | ${r.workers} | ${fmt(r.baseMiB, 0)} | ${fmt(r.peakMiB, 0)} (+${fmt(over(r), 0)}) | ${fmt(r.afterMiB, 0)} (+${fmt(left(r), 0)}) | ${fmt(r.ms, 0)} | ${r.errors.join(", ")} |`,
    ),
    "",
    "A caught array bomb keeps every allocation failing and catching the error, so QuickJS spends most of its time in its garbage collector: the block runs until its 10 s execution limit (or, if it stops answering interrupts, until the watchdog terminates its worker 2 s later), which is why it takes longest. Either way the model is told it ran out of memory, the memory is given back, and sessions on other workers are not affected.",
    "",
    "The batch-arguments bomb builds 256 prompts of ~100,000 characters (25.6 MB) inside the sandbox and sends them in one `llmQueryBatched` call, 16 sessions at once. Each copy of a call's arguments on its way out (the JSON text in the worker, the message to the main thread, the prompts there) is memory outside the sandboxes' shared budget; before the `maxBatchChars` limit (1,000,000 characters per call) 16 such calls took the process ~700 MiB over its base. Now the call is a `RangeError` in the block before anything is copied out.",
  ].join("\n");
  return { id: "sandbox", title: "6. Sandbox under attack", markdown, goals, charts: [], raw: { runs } };
}
