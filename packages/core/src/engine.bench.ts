import { afterAll, test } from "vitest";
import { MemoryStore } from "./__fixtures__/memory-store.ts";
import { scriptedModel } from "./__fixtures__/scripted-model.ts";
import { DeepRecallEngine } from "./engine.ts";
import { createSandboxPool } from "./sandbox/index.ts";

// Engine overhead per iteration with the model's own time taken out: the mock model answers
// instantly, so what is measured is prompt building, parsing, one sandbox block with one
// search, bookkeeping and events. Divide the reported time per query by ITERATIONS.
const ITERATIONS = 5;
const store = new MemoryStore();
await store.addDocuments({
  documents: Array.from(
    { length: 200 },
    (_, i) => `Document ${i} about topic ${i % 17} and Acme division ${i % 5}.`,
  ),
});
const pool = createSandboxPool({ workers: 2 });
const engine = new DeepRecallEngine({
  vectorStore: store,
  // A fresh script per query: ITERATIONS-1 code turns, then FINAL.
  model: scriptedModel(
    Array.from({ length: 100_000 }, (_, i) =>
      i % ITERATIONS === ITERATIONS - 1
        ? "FINAL(done)"
        : "```repl\nconst hits = searchDb('Acme division', 5)\nprint(hits.length)\n```",
    ),
  ),
  sandbox: pool,
});
afterAll(async () => {
  await engine.close();
  await pool.close();
});

test(`engine: one query of ${ITERATIONS} iterations (instant model)`, async ({ bench }) => {
  const results = await bench.compare(
    bench("query", async () => {
      await engine.query("Which Acme divisions exist?", { noCache: true });
    }),
    bench("plain search (no model, no sandbox)", async () => {
      await engine.search("Acme division");
    }),
    { time: 3_000, warmupTime: 500 },
  );
  const query = results.get("query");
  console.log(
    `engine overhead per iteration: median ${(query.latency.p50 / ITERATIONS).toFixed(3)} ms, p99 ${(query.latency.p99 / ITERATIONS).toFixed(3)} ms (target: median <= 5 ms)`,
  );
});
