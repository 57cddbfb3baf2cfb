/**
 * Sandbox latency benchmarks. Run: `pnpm --filter @deeprecall/core exec vitest bench --run src/sandbox`
 * Target (issue 2): a trivial block on a warm worker <= 2 ms median.
 */
import { afterAll, beforeAll, test } from "vitest";
import { createSandboxPool } from "./index.ts";
import type { SandboxHost, SandboxPool, SandboxSession } from "./types.ts";

const host: SandboxHost = {
  searchDb: async (query) => [{ id: "1", content: `about ${query}`, metadata: {}, score: 1 }],
  llmQuery: async (prompt) => prompt,
  llmQueryBatched: async (prompts) => prompts,
};

let pool: SandboxPool;
let session: SandboxSession;

beforeAll(async () => {
  pool = createSandboxPool({ workers: 1 });
  session = await pool.createSession(host);
  // Warm the worker: module loaded, context created, first block compiled.
  for (let i = 0; i < 20; i++) await session.run("const warm = 1 + 1");
  // A benchmark of failing blocks would measure the error path: make sure they work.
  const check = await session.run('const hits = searchDb("q", 1)\nprint(hits[0].id)');
  if (check.error !== undefined || check.output !== "1")
    throw new Error(`sandbox not healthy: ${JSON.stringify(check)}`);
});

afterAll(async () => {
  await pool.close();
});

test("sandbox block latency on a warm worker", async ({ bench }) => {
  let n = 0;
  const results = await bench.compare(
    bench("trivial block", async () => {
      await session.run(`const x = ${n++} + 1`);
    }),
    bench("block with print", async () => {
      await session.run("const hits = [1, 2, 3]\nprint(hits.length)");
    }),
    bench("block with one sync host call (searchDb)", async () => {
      await session.run('const hits = searchDb("q", 1)\nprint(hits[0].id)');
    }),
    { time: 2_000, warmupTime: 200 },
  );
  const trivial = results.get("trivial block");
  console.log(
    `trivial block: median ${trivial.latency.p50.toFixed(3)} ms, p99 ${trivial.latency.p99.toFixed(3)} ms (target: median <= 2 ms)`,
  );
});
