import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { cpus } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@deeprecall/test-utils";
import { BENCH_API_KEY, CHAT_BODY } from "../constants.ts";
import type { BenchContext, Goal, ScenarioReport } from "../context.ts";
import { runAutocannon } from "../load.ts";
import { REPO_DIR, type RunningProcess, stopProcess } from "../proc.ts";
import { fmt, median } from "../stats.ts";
import { barChart } from "../svg.ts";
import { startOurServer } from "./server.ts";

const PATH = "/v1/chat/completions";

/** A throwaway redis-server (no persistence) on a free port, or the one at BENCH_REDIS_URL. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void>; version: string }> {
  const external = process.env.BENCH_REDIS_URL;
  const version =
    execFileSync("redis-server", ["--version"], { encoding: "utf8" }).match(/v=([\d.]+)/)?.[1] ?? "?";
  if (external) return { url: external, stop: async () => {}, version };
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  await waitForTcp(port);
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(child), version };
}

function resetRedisStats(url: string): void {
  try {
    execFileSync("redis-cli", ["-u", url, "CONFIG", "RESETSTAT"], { stdio: "ignore" });
  } catch {
    // redis-cli missing: the check is skipped
  }
}

/** Calls of EVAL/EVALSHA so far, from `INFO commandstats` (null when redis-cli is missing). */
function redisScriptCalls(url: string): number | null {
  try {
    const info = execFileSync("redis-cli", ["-u", url, "INFO", "commandstats"], { encoding: "utf8" });
    let calls = 0;
    for (const match of info.matchAll(/cmdstat_(?:evalsha|eval|evalsha_ro|eval_ro|fcall):calls=(\d+)/g))
      calls += Number(match[1]);
    return calls;
  } catch {
    return null;
  }
}

function totalRequests(results: Array<{ rounds: ScaleRound[] }>): number {
  return results.reduce((sum, r) => sum + r.rounds.reduce((s, x) => s + x.requests, 0), 0);
}

async function waitForTcp(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`redis-server did not listen on ${port}`);
}

interface ScaleRound {
  rps: number;
  worstP99: number;
  p50: number;
  errors: number;
  requests: number;
}

export async function runScaleScenario(ctx: BenchContext): Promise<ScenarioReport> {
  ctx.log("scenario 5: scale");
  const redisPackage = existsSync(join(REPO_DIR, "packages", "redis", "src", "index.ts"));
  const replicaCounts = [1, 2, 3];
  const servers: RunningProcess[] = [];
  let redis: { url: string; stop(): Promise<void>; version: string } | undefined;
  let redisNote = "";
  let scriptCalls: number | null = null;
  if (redisPackage) {
    try {
      redis = await startRedis();
      ctx.versions["redis-server"] = redis.version;
    } catch (error) {
      redisNote = `Redis could not be started (${String(error).slice(0, 200)}), so each replica keeps its own in-memory buckets.`;
    }
  } else {
    redisNote =
      "No Redis rate-limit store exists in this repository (no packages/redis), so each replica keeps its own in-memory buckets.";
  }
  const results: Array<{
    replicas: number;
    rounds: ScaleRound[];
    rps: number;
    p50: number;
    p99: number;
    errors: number;
  }> = [];
  try {
    for (let i = 0; i < Math.max(...replicaCounts); i++)
      servers.push(
        redis
          ? await startOurServer("redis", { env: { REDIS_URL: redis.url } })
          : await startOurServer("secured"),
      );
    const roundFor = async (replicas: number, duration: number): Promise<ScaleRound> => {
      const active = servers.slice(0, replicas);
      // The same total number of connections, spread evenly over the replicas' ports.
      const per = active.map(
        (_, i) => Math.floor(ctx.load.connections / replicas) + (i < ctx.load.connections % replicas ? 1 : 0),
      );
      const runs = await Promise.all(
        active.map((s, i) =>
          runAutocannon(
            {
              name: `replica-${i}`,
              url: s.url,
              path: PATH,
              body: CHAT_BODY,
              headers: { authorization: `Bearer ${BENCH_API_KEY}` },
            },
            per[i]!,
            duration,
          ),
        ),
      );
      return {
        rps: runs.reduce((sum, r) => sum + r.rps, 0),
        worstP99: Math.max(...runs.map((r) => r.p99)),
        p50: median(runs.map((r) => r.p50)),
        errors: runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        requests: runs.reduce((sum, r) => sum + r.requests, 0),
      };
    };
    for (const n of replicaCounts) await roundFor(n, ctx.load.warmup);
    if (redis) resetRedisStats(redis.url);
    const rounds = new Map<number, ScaleRound[]>(replicaCounts.map((n) => [n, []]));
    for (let round = 0; round < ctx.load.rounds; round++) {
      for (const n of replicaCounts) {
        const r = await roundFor(n, ctx.load.duration);
        rounds.get(n)!.push(r);
        ctx.log(
          `  round ${round + 1}/${ctx.load.rounds} ${n} replica(s): ${r.rps.toFixed(0)} req/s, worst p99 ${r.worstP99} ms`,
        );
      }
    }
    for (const n of replicaCounts) {
      const rs = rounds.get(n)!;
      results.push({
        replicas: n,
        rounds: rs,
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.worstP99)),
        errors: rs.reduce((sum, r) => sum + r.errors, 0),
      });
    }
    if (redis) scriptCalls = redisScriptCalls(redis.url);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  }
  const one = results[0]!;
  const markdown = [
    `\`POST ${PATH}\` with auth + rate limiting (limit never reached) against 1, 2 and 3 server processes on distinct ports, the same ${ctx.load.connections} connections spread evenly over them (one autocannon instance per port, all in the harness process). Medians over ${ctx.load.rounds} interleaved rounds of ${ctx.load.duration} s.`,
    redis
      ? `Every replica takes its tokens from one \`RedisRateLimitStore\` (@deeprecall/redis, \`failOpen: false\`) on a local \`redis-server\` ${redis.version} started for the run: one atomic Lua script per request, so this includes the Redis round trip.`
      : `**${redisNote}**`,
    redis && scriptCalls !== null
      ? `Check: during the measured rounds Redis ran the bucket script ${fmt(scriptCalls)} times for ${fmt(totalRequests(results))} completed requests (the difference is requests still in flight when a round ended).`
      : "",
    "",
    "| Replicas | req/s | vs 1 replica | p50 ms | p99 ms (worst replica) | errors + non-2xx |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.replicas} | ${fmt(r.rps)} | ${(r.rps / one.rps).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.errors} |`,
    ),
    "",
    `This machine has ${cpus().length} cores shared by the load generator and every replica, so the curve is expected to flatten once the replicas and autocannon together saturate them; the numbers show where it does.`,
  ].join("\n");
  const goals: Goal[] = [
    {
      scenario: "5. Scale",
      goal: "report requests/s at 1, 2, 3 replicas (plateau expected on 2 cores)",
      measured: results.map((r) => `${r.replicas}: ${fmt(r.rps)}`).join(", "),
      met: null,
      informational: true,
    },
  ];
  const chart = barChart({
    title: `Replicas vs requests/s on ${cpus().length} cores (auth + rate limit, ${ctx.load.connections} connections)`,
    unit: "req/s",
    series: ["requests per second"],
    groups: results.map((r) => ({
      label: `${r.replicas} replica${r.replicas > 1 ? "s" : ""}`,
      values: [r.rps],
    })),
  });
  return {
    id: "scale",
    title: "5. Scale-out",
    markdown,
    goals,
    charts: [{ file: "benchmarks-scale.svg", title: "Scale-out", svg: chart }],
    raw: { results, redis: redis !== undefined, redisNote },
  };
}
