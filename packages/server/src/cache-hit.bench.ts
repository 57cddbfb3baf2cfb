/**
 * Issue 17 item 8: what a request costs when no code runs.
 *
 * 1. Cache hits through the server against the bare `node:http` floor, in the same run: real
 *    HTTP on real ports, each server in its own process, a keep-alive raw-socket load generator
 *    (src/__fixtures__/load.ts) in this one. Target: cache hit ≥ 0.3× the floor's requests/s.
 * 2. A FINAL-only query through the real engine (a model that answers FINAL at once, a small
 *    store, no cache): engine time per query. Target: ≤ 1 ms.
 *
 * Run: `pnpm --filter @deeprecall/server bench` (BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_CONNECTIONS,
 * BENCH_CPU_PROF=<dir> to profile the servers). The generated report (bench/, scenario 1) carries
 * the same cache-hit comparison; this one is the quick check while working on the server.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { DeepRecallEngine } from "@deeprecall/core";
import { afterAll, expect, test } from "vitest";
import { finalOnlyModel, smallStore } from "./__fixtures__/bench-server.ts";
import {
  type BenchServer,
  buildRequest,
  type LoadResult,
  runLoad,
  startBenchServer,
} from "./__fixtures__/load.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PATH = "/v1/chat/completions";
const BODY = JSON.stringify({
  model: "deeprecall",
  messages: [
    { role: "system", content: "Answer in one sentence." },
    { role: "user", content: "Who founded Acme?" },
  ],
});

const servers: BenchServer[] = [];
let dir: string | undefined;
afterAll(async () => {
  while (servers.length) await servers.pop()!.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

test("cache hit through POST /v1/chat/completions vs bare node:http", {
  timeout: 60_000 + ROUNDS * ROUND_MS * 2 + WARMUP_MS * 2,
}, async () => {
  const cache = await startBenchServer("cache");
  servers.push(cache);
  const url = `http://127.0.0.1:${cache.port}${PATH}`;
  const post = () =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: BODY });
  // The first request runs the engine and fills the cache; the second must be a hit (the very
  // same cached result: same execution time and steps), which spent nothing.
  const first = await post();
  const firstJson = (await first.json()) as {
    usage: { total_tokens: number };
    deeprecall: { execution_time_ms: number; steps: unknown[] };
  };
  expect(first.status).toBe(200);
  const second = await post();
  const secondText = await second.text();
  const secondJson = JSON.parse(secondText) as typeof firstJson;
  // The same extension, but flagged as a cache hit with what the original run spent.
  expect(secondJson.deeprecall).toEqual({
    ...firstJson.deeprecall,
    cached: true,
    cached_usage: firstJson.usage,
  });
  expect(firstJson.usage.total_tokens).toBeGreaterThan(0);
  expect(secondJson.usage.total_tokens).toBe(0);

  dir = await mkdtemp(join(tmpdir(), "deeprecall-bench-"));
  const bodyFile = join(dir, "body.json");
  await writeFile(bodyFile, secondText);
  const bare = await startBenchServer("bare", { BENCH_BARE_BODY: bodyFile });
  servers.push(bare);

  const peers = [
    { name: "bare node:http (floor)", server: bare },
    { name: "cache hit (createApp + DeepRecallEngine + InMemoryCache)", server: cache },
  ];
  const load = (server: BenchServer, durationMs: number) =>
    runLoad({
      port: server.port,
      request: buildRequest(server.port, PATH, BODY),
      connections: CONNECTIONS,
      durationMs,
    });
  for (const peer of peers) await load(peer.server, WARMUP_MS);

  const results = new Map<string, LoadResult[]>(peers.map((p) => [p.name, []]));
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so drift on a shared machine hits both peers alike.
    const order = round % 2 === 0 ? peers : [...peers].reverse();
    const byName = new Map<string, LoadResult>();
    for (const peer of order) {
      const result = await load(peer.server, ROUND_MS);
      byName.set(peer.name, result);
      results.get(peer.name)!.push(result);
    }
    ratios.push(byName.get(peers[1]!.name)!.rps / byName.get(peers[0]!.name)!.rps);
  }

  const lines = [
    `Machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} vCPU, Node ${process.version}`,
    `${ROUNDS} rounds x ${ROUND_MS} ms per peer (order alternating), ${WARMUP_MS} ms warm-up, ${CONNECTIONS} keep-alive connections`,
    "| Server | req/s (median) | per round | bytes/response | errors + non-2xx |",
    "| --- | ---: | --- | ---: | ---: |",
  ];
  for (const peer of peers) {
    const rs = results.get(peer.name)!;
    lines.push(
      `| ${peer.name} | ${fmt(median(rs.map((r) => r.rps)))} | ${rs.map((r) => fmt(r.rps)).join(", ")} | ${rs[0]!.bytesPerResponse} | ${rs.reduce((n, r) => n + r.errors + r.non2xx, 0)} |`,
    );
  }
  lines.push(
    `cache hit / floor: median of per-round ratios ${median(ratios).toFixed(3)}x (rounds: ${ratios.map((r) => r.toFixed(3)).join(", ")}; target >= 0.3x)`,
  );
  console.log(lines.join("\n"));
  for (const rs of results.values()) {
    for (const r of rs) expect(r.errors + r.non2xx).toBe(0);
  }
});

test("FINAL-only query: engine time per query (no cache, small store)", async ({ bench }) => {
  const engine = new DeepRecallEngine({ vectorStore: await smallStore(), model: finalOnlyModel() });
  try {
    const check = await engine.query("Who founded Acme?", { noCache: true });
    expect(check.answer).toBe("Acme was founded by Jane Doe in 1999.");
    expect(check.error).toBeUndefined();
    const names = ["FINAL-only query (grounding search on, the default)", "FINAL-only query (grounding off)"];
    const results = await bench.compare(
      bench(names[0]!, async () => {
        await engine.query("Who founded Acme?", { noCache: true });
      }),
      bench(names[1]!, async () => {
        await engine.query("Who founded Acme?", { noCache: true, grounding: false });
      }),
      { time: 3_000, warmupTime: 500 },
    );
    for (const name of names) {
      const r = results.get(name);
      console.log(
        `${name}: p50 ${r.latency.p50.toFixed(3)} ms, mean ${r.latency.mean.toFixed(3)} ms, p99 ${r.latency.p99.toFixed(3)} ms (target: <= 1 ms)`,
      );
    }
  } finally {
    await engine.close();
  }
});
