import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RedisServerProcess } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startAppProcess } from "./harness/app-process.ts";
import { type FakeLlm, ragReply, startFakeLlm } from "./harness/fake-llm.ts";
import { chatBody } from "./harness/http.ts";
import { findRedis, REDIS_HINT } from "./harness/services.ts";
import { isCI, sleep, waitFor } from "./harness/util.ts";

const REPLICA = fileURLToPath(new URL("./bin/fleet-replica.ts", import.meta.url));
const SECONDS = Number(process.env.HARDENING_LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.HARDENING_LOAD_CLIENTS ?? 200);
const REPLICAS = 3;
const RATE_LIMIT = 60; // requests per minute per key, fleet-wide
const LLM_DELAY_MS = 400; // per model turn: a slow model
const DISCONNECT_EVERY = 5; // every 5th request of a client hangs up mid-stream
const PROBERS = 8; // concurrent probers of the fleet-wide rate limit
const WARMUP_SECONDS = Number(process.env.HARDENING_LOAD_WARMUP_SECONDS ?? Math.min(15, SECONDS / 3));

const haveRedis = findRedis() !== undefined;
if (!haveRedis && isCI) throw new Error(`CI=true and redis-server is missing. ${REDIS_HINT}`);

interface Stats {
  heapUsed: number;
  rss: number;
  gc: boolean;
  started: number;
  finished: number;
  open: string[];
  aborted: string[];
  failed: Array<{ query: string; error: string }>;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

describe.skipIf(!haveRedis)(
  `load: ${REPLICAS} replicas, one Redis, ${CLIENTS} streaming clients for ${SECONDS} s`,
  () => {
    let redis: RedisServerProcess;
    let llm: FakeLlm;
    let dirs: string[] = [];
    let fleet: AppProcess[] = [];

    beforeAll(async () => {
      redis = await RedisServerProcess.start();
      llm = await startFakeLlm((call) => ({
        ...(ragReply(call) as { kind: "reply"; text: string }),
        delayMs: LLM_DELAY_MS,
      }));
      dirs = await Promise.all(
        Array.from({ length: REPLICAS }, () => mkdtemp(join(tmpdir(), "deeprecall-load-"))),
      );
      fleet = await Promise.all(
        dirs.map((dir) =>
          startAppProcess(
            {
              REDIS_URL: redis.url,
              LLM_BASE_URL: llm.baseUrl,
              RATE_LIMIT: String(RATE_LIMIT),
              DATA_DIR: dir,
            },
            { script: REPLICA },
          ),
        ),
      );
    }, 120_000);

    afterAll(async () => {
      for (const app of fleet) app.child.kill("SIGTERM");
      await Promise.all(fleet.map((app) => app.exited));
      await llm?.close();
      await redis?.stop();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    });

    const stats = async (app: AppProcess) =>
      (await (await fetch(`${app.url}/_hardening/stats`)).json()) as Stats;

    /** Waits until no run is open on any replica, then samples every replica (heap after a full GC). */
    async function settle(): Promise<Stats[]> {
      await waitFor(
        async () => (await Promise.all(fleet.map(stats))).every((s) => s.open.length === 0),
        "every run on every replica to end",
        { timeoutMs: 60_000, everyMs: 250 },
      );
      return Promise.all(fleet.map(stats));
    }

    /** CLIENTS streaming clients (one key each, round-robin over the replicas) until the deadline. */
    async function drive(seconds: number, phase: string) {
      const deadline = Date.now() + seconds * 1000;
      const outcome = {
        completed: 0,
        disconnected: 0,
        unexpected: [] as string[],
        disconnectedQueries: [] as string[],
      };
      const client = async (c: number) => {
        const key = `sk-load-client-${c}`;
        for (let n = 0; Date.now() < deadline; n++) {
          const app = fleet[(c + n) % fleet.length]!;
          const question = `${phase} client ${c} request ${n}: who developed the first compiler?`;
          const hangUp = n % DISCONNECT_EVERY === DISCONNECT_EVERY - 1;
          const controller = new AbortController();
          try {
            const res = await fetch(`${app.url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
              body: JSON.stringify(chatBody(question, { stream: true })),
              signal: controller.signal,
            });
            if (res.status !== 200) {
              outcome.unexpected.push(`${question}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
              continue;
            }
            const reader = res.body!.getReader();
            const decoder = new TextDecoder();
            let text = "";
            for (;;) {
              const { value, done } = await reader.read();
              if (done) break;
              text += decoder.decode(value, { stream: true });
              if (hangUp && text.includes("reasoning_content")) {
                outcome.disconnectedQueries.push(question);
                controller.abort();
                break;
              }
            }
            if (hangUp) {
              outcome.disconnected++;
              continue;
            }
            if (
              !text.trimEnd().endsWith("data: [DONE]") ||
              text.includes('"error":{') ||
              !text.includes("Grace Hopper")
            ) {
              outcome.unexpected.push(`${question}: bad stream ${text.slice(-300)}`);
            } else outcome.completed++;
          } catch (error) {
            if (!controller.signal.aborted) outcome.unexpected.push(`${question}: ${String(error)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      return outcome;
    }

    it(
      "holds: no unexpected errors, exact fleet-wide limit, flat heap, every disconnect aborted",
      async () => {
        // ---- warm-up: the same load, then a quiescent heap baseline -----------------------------
        const warm = await drive(WARMUP_SECONDS, "warmup");
        const baseline = await settle();

        // ---- the measured run ---------------------------------------------------------------------
        const started = Date.now();
        const deadline = started + SECONDS * 1000;
        // Probers hammering /v1/models with one key, round-robin over the replicas. Several at
        // once: under this load a request can take most of a second, and one prober alone would
        // then ask less often than the limit allows and never meet it.
        const probe = { allowed: 0, limited: 0, other: 0, first: Date.now(), last: 0 };
        const prober = async (p: number) => {
          for (let n = p; Date.now() < deadline; n += PROBERS) {
            const res = await fetch(`${fleet[n % fleet.length]!.url}/v1/models`, {
              headers: { authorization: "Bearer sk-load-probe" },
            });
            await res.arrayBuffer();
            if (res.status === 200) probe.allowed++;
            else if (res.status === 429) probe.limited++;
            else probe.other++;
            await sleep(25);
          }
          probe.last = Math.max(probe.last, Date.now());
        };
        const probers = () => Promise.all(Array.from({ length: PROBERS }, (_, p) => prober(p)));
        // Heap samples under load (after a full GC), for the trend.
        const heap: Array<Array<[number, number]>> = fleet.map(() => []);
        const sampler = async () => {
          while (Date.now() < deadline) {
            const t = (Date.now() - started) / 1000;
            const sample = await Promise.all(fleet.map(stats));
            for (const [i, s] of sample.entries()) heap[i]!.push([t, s.heapUsed]);
            await sleep(2_000);
          }
        };
        const [outcome] = await Promise.all([drive(SECONDS, "load"), probers(), sampler()]);
        const final = await settle();

        const aborted = new Set(final.flatMap((s) => s.aborted));
        const failed = final.flatMap((s) => s.failed);
        const elapsed = (probe.last - probe.first) / 1000;
        const refill = (elapsed * RATE_LIMIT) / 60;
        const MB = 2 ** 20;
        const trends = heap.map((points, i) => ({
          samples: points.length,
          growthUnderLoadMBPerMinute: (slope(points) * 60) / MB,
          baselineMB: baseline[i]!.heapUsed / MB,
          afterMB: final[i]!.heapUsed / MB,
        }));
        const figures = {
          seconds: SECONDS,
          warmupSeconds: WARMUP_SECONDS,
          clients: CLIENTS,
          replicas: REPLICAS,
          llmDelayMs: LLM_DELAY_MS,
          completedStreams: outcome.completed,
          disconnectedStreams: outcome.disconnected,
          unexpectedErrors: outcome.unexpected.length + warm.unexpected.length,
          runsStarted: final.reduce((s, x) => s + x.started, 0),
          runsAborted: aborted.size,
          runsFailed: failed.length,
          failedSample: failed.slice(0, 3),
          probe: {
            allowed: probe.allowed,
            limited: probe.limited,
            other: probe.other,
            elapsedSeconds: elapsed,
            expectedAllowed: RATE_LIMIT + refill,
          },
          heap: trends,
          llmCalls: llm.calls.length,
        };
        console.info(`[hardening] load figures: ${JSON.stringify(figures, null, 2)}`);

        // Zero unexpected errors, in warm-up and in the measured run.
        expect([...warm.unexpected, ...outcome.unexpected].slice(0, 5)).toEqual([]);
        expect(failed.slice(0, 5)).toEqual([]);
        expect(outcome.completed).toBeGreaterThan(CLIENTS);
        // Every disconnected client's run was aborted (on whichever replica served it).
        expect(outcome.disconnected).toBeGreaterThan(0);
        const disconnected = [...warm.disconnectedQueries, ...outcome.disconnectedQueries];
        expect(disconnected.filter((q) => !aborted.has(q)).slice(0, 5)).toEqual([]);
        expect(aborted.size).toBe(disconnected.length);
        // The fleet-wide limit is exact: one bucket of RATE_LIMIT shared by three replicas, refilled
        // at RATE_LIMIT per minute for the time the probe ran (one token either way for the edges).
        expect(probe.other).toBe(0);
        expect(probe.allowed).toBeGreaterThanOrEqual(Math.floor(RATE_LIMIT + refill) - 1);
        expect(probe.allowed).toBeLessThanOrEqual(Math.ceil(RATE_LIMIT + refill) + 1);
        expect(probe.limited).toBeGreaterThan(0);
        // Heap stable after warm-up: quiescent heap (full GC, nothing in flight) after the run is
        // within 3 MB (or 5%) of the quiescent heap after warm-up; the trend under load stays small.
        for (const t of trends) {
          expect(t.samples).toBeGreaterThanOrEqual(3);
          expect(t.afterMB - t.baselineMB).toBeLessThan(Math.max(3, t.baselineMB * 0.05));
          expect(t.growthUnderLoadMBPerMinute).toBeLessThan(Math.max(10, t.baselineMB * 0.2));
        }
      },
      (SECONDS + WARMUP_SECONDS + 240) * 1000,
    );
  },
);
