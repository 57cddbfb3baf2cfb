/**
 * The benchmark suite: `pnpm bench` (root, through turbo) or `pnpm --filter @deeprecall/bench bench`.
 * Writes docs/benchmarks.md and the SVG charts beside it. Environment:
 *   BENCH_SCENARIOS=server,streaming,retrieval,engine,scale,sandbox   subset to run (a subset writes to bench/.out/)
 *   BENCH_ROUNDS (5) BENCH_DURATION (5 s) BENCH_WARMUP (3 s) BENCH_CONNECTIONS (64)
 *   BENCH_QUICK=1            2 rounds of 2 s, for a smoke run (numbers are noisy)
 *   BENCH_100K=1             also run the 100,000-document retrieval tier (several minutes)
 *   BENCH_PROFILE=auto|always|never   --cpu-prof our server when a server goal is missed (auto)
 *   BENCH_NO_INSTALL=1       never create the Python virtualenvs (peers missing -> reported as not run)
 *   BENCH_PIN=1              pin server (CPU 0) and load generator (CPU 1) in scenarios 1-2
 *   BENCH_OUTPUT=path.md     where to write the report
 *   BENCH_SCENARIO_TIMEOUT_MIN (30)  a scenario still running after this is killed (with its servers) and reported
 *   BENCH_RENDER_ONLY=1      only re-render the report from bench/.out/results.json (after editing bench/FINDINGS.md)
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getErrorMessage } from "@deeprecall/core";
import { type BenchContext, defaultOutDir, type ScenarioReport } from "./context.ts";
import { machineInfo, npmVersions } from "./machine.ts";
import { pinLoadGenerator, REPO_DIR } from "./proc.ts";
import { type ReportInput, renderReport } from "./report.ts";
import { runEngineScenario } from "./scenarios/engine.ts";
import { runRetrievalScenario } from "./scenarios/retrieval.ts";
import { runSandboxScenario } from "./scenarios/sandbox.ts";
import { runScaleScenario } from "./scenarios/scale.ts";
import { runServerScenario } from "./scenarios/server.ts";
import { runStreamingScenario } from "./scenarios/streaming.ts";
import { ensureTitle } from "./svg.ts";

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioReport>> = {
  server: runServerScenario,
  streaming: runStreamingScenario,
  retrieval: runRetrievalScenario,
  engine: runEngineScenario,
  scale: runScaleScenario,
  sandbox: runSandboxScenario,
};

const SUITE_COMMAND = "pnpm --filter @deeprecall/bench bench";
const PINNED = new Set(["server", "streaming"]);

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

async function writeReport(input: Omit<ReportInput, "analysis">, output: string): Promise<void> {
  let analysis: string | undefined;
  try {
    analysis = await readFile(join(REPO_DIR, "bench", "FINDINGS.md"), "utf8");
  } catch {
    analysis = undefined;
  }
  const markdown = renderReport({ ...input, ...(analysis ? { analysis } : {}) });
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, markdown);
  for (const chart of input.scenarios.flatMap((r) => r.charts))
    await writeFile(join(dirname(output), chart.file), ensureTitle(chart.svg, chart.title));
  // Leave the report the way the repo's formatter wants it, so `pnpm lint` stays clean.
  try {
    execFileSync(join(REPO_DIR, "node_modules", ".bin", "biome"), ["format", "--write", output], {
      cwd: REPO_DIR,
      stdio: "ignore",
    });
  } catch {
    // formatter unavailable, or the file is outside the repo: the report is still valid markdown
  }
}

/** BENCH_RENDER_ONLY=1: rewrite the report from the last run's bench/.out/results.json (e.g. after editing FINDINGS.md). */
async function renderOnly(): Promise<void> {
  const saved = JSON.parse(await readFile(join(defaultOutDir(), "results.json"), "utf8")) as {
    output: string;
    input: Omit<ReportInput, "analysis">;
    load?: BenchContext["load"];
  };
  const output = process.env.BENCH_OUTPUT ?? saved.output;
  const command = saved.input.command.replace(/pnpm bench$/, SUITE_COMMAND);
  const settings = saved.load ? settingsText(saved.load) : saved.input.settings;
  await writeReport(
    { ...saved.input, command, settings, versions: { ...npmVersions(), ...saved.input.versions } },
    output,
  );
  process.stdout.write(`re-rendered ${output} from the run of ${saved.input.date}\n`);
}

let interrupted = false;

type ScenarioOutcome =
  | { ok: true; report: ScenarioReport; versions: Record<string, string> }
  | { ok: false; reason: string };

/**
 * Each scenario runs in a child process of its own (a fresh heap, its own CPU pinning) under a
 * watchdog: a scenario that hangs, even in a synchronous loop, is killed with everything it
 * started (its process group) and reported as failed, so the suite never hangs CI.
 */
async function runScenarioProcess(name: string, ctx: BenchContext): Promise<ScenarioOutcome> {
  const resultFile = join(ctx.outDir, `scenario-${name}.json`);
  await rm(resultFile, { force: true });
  const timeoutMinutes = numberEnv("BENCH_SCENARIO_TIMEOUT_MIN", 30);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_CHILD_SCENARIO: name, BENCH_CHILD_OUT: resultFile },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true, // own process group, so the watchdog can stop the servers it started too
  });
  // Ctrl-C / SIGTERM: stop this scenario's process group, then stop the whole run.
  const forward = () => {
    interrupted = true;
    killGroup(child.pid, "SIGTERM");
  };
  process.once("SIGINT", forward);
  process.once("SIGTERM", forward);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, "SIGTERM");
    setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000).unref();
  }, timeoutMinutes * 60_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", (exitCode) => resolve(exitCode));
    child.once("error", () => resolve(null));
  });
  clearTimeout(timer);
  process.off("SIGINT", forward);
  process.off("SIGTERM", forward);
  killGroup(child.pid, "SIGTERM"); // leftovers of a crashed scenario, if any
  if (timedOut)
    return { ok: false, reason: `timed out after ${timeoutMinutes} min (BENCH_SCENARIO_TIMEOUT_MIN)` };
  try {
    const saved = JSON.parse(await readFile(resultFile, "utf8")) as ScenarioOutcome;
    return saved;
  } catch {
    return { ok: false, reason: `the scenario process exited with code ${code} without a result` };
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Child side: run one scenario, write its outcome as JSON. */
async function runChild(name: string, out: string): Promise<void> {
  const quick = process.env.BENCH_QUICK === "1";
  const ctx = contextFromEnv(quick);
  // BENCH_PIN=1: single-server comparisons with the server on CPU 0 and the load generator on
  // CPU 1. Off by default: on a machine shared with other work, a pinned process cannot move
  // away from a busy core.
  const serverCpu = pinLoadGenerator(PINNED.has(name) && process.env.BENCH_PIN === "1");
  if (serverCpu !== undefined) ctx.serverCpu = serverCpu;
  let outcome: ScenarioOutcome;
  try {
    outcome = { ok: true, report: await SCENARIOS[name]!(ctx), versions: ctx.versions };
  } catch (error) {
    outcome = { ok: false, reason: `failed — ${getErrorMessage(error)}` };
  }
  await writeFile(out, JSON.stringify(outcome));
  process.exit(0);
}

function settingsText(load: BenchContext["load"]): string {
  return (
    "`pnpm bench` at the root runs turbo's `bench` task in every package (core's and vectorstore-local's vitest benches, and this suite); " +
    "turbo's strict environment mode passes `BENCH_*` variables on only once turbo.json lists them for that task, so pass options with the command above. " +
    "The suite creates Python virtualenvs from PyPI on first use (bench/.venv-py with `deeprecall[server]`, and bench/.venv-chroma with `chromadb` " +
    "unless the repo's .venv has `chroma`), so it needs `python3` with `venv` and network access once; scenario 5 needs `redis-server` (and `redis-cli`) on the PATH. " +
    `Settings of this run: ${load.rounds} rounds × ${load.duration} s, ${load.warmup} s warm-up per peer, ${load.connections} connections. ` +
    "Options: bench/README.md."
  );
}

/** The context every scenario runs in, from BENCH_* (the parent and each scenario's child alike). */
function contextFromEnv(quick: boolean): BenchContext {
  const profile = (process.env.BENCH_PROFILE ?? "auto") as BenchContext["profile"];
  if (!["auto", "always", "never"].includes(profile))
    throw new Error(`BENCH_PROFILE must be auto, always or never`);
  return {
    load: loadOptions(quick),
    log: (line) => process.stdout.write(`${line}\n`),
    outDir: defaultOutDir(),
    versions: {},
    profile,
  };
}

function loadOptions(quick: boolean): BenchContext["load"] {
  return {
    rounds: numberEnv("BENCH_ROUNDS", quick ? 2 : 5),
    duration: numberEnv("BENCH_DURATION", quick ? 2 : 5),
    warmup: numberEnv("BENCH_WARMUP", quick ? 1 : 3),
    connections: numberEnv("BENCH_CONNECTIONS", 64),
  };
}

async function main(): Promise<void> {
  if (process.env.BENCH_RENDER_ONLY === "1") return renderOnly();
  const childScenario = process.env.BENCH_CHILD_SCENARIO;
  const childOut = process.env.BENCH_CHILD_OUT;
  if (childScenario && childOut) return runChild(childScenario, childOut);
  const quick = process.env.BENCH_QUICK === "1";
  const requested = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of requested)
    if (!(name in SCENARIOS))
      throw new Error(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(", ")})`);
  const partial = requested.length < Object.keys(SCENARIOS).length || quick;
  const output =
    process.env.BENCH_OUTPUT ??
    (partial ? join(defaultOutDir(), "benchmarks.md") : join(REPO_DIR, "docs", "benchmarks.md"));
  const ctx = contextFromEnv(quick);
  await mkdir(ctx.outDir, { recursive: true });
  const startedAt = new Date();
  const machine = machineInfo();
  ctx.log(
    `DeepRecall benchmarks on ${machine.cpuModel} x${machine.cores}, Node ${machine.node}; scenarios: ${requested.join(", ")}`,
  );

  const reports: ScenarioReport[] = [];
  const skipped: string[] = [];
  for (const name of requested) {
    if (interrupted) {
      skipped.push(`${name}: not run (interrupted)`);
      continue;
    }
    const t0 = performance.now();
    const outcome = await runScenarioProcess(name, ctx);
    if (outcome.ok) {
      reports.push(outcome.report);
      Object.assign(ctx.versions, outcome.versions);
      ctx.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    } else {
      ctx.log(`scenario ${name} failed: ${outcome.reason}`);
      skipped.push(`${name}: ${outcome.reason}`);
      process.exitCode = 1;
    }
  }

  machine.loadAverageAtEnd = loadavg()[0] ?? 0;
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith("BENCH_") && k !== "BENCH_OUTPUT")
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const input: Omit<ReportInput, "analysis"> = {
    date: startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
    machine,
    versions: { ...npmVersions(), ...ctx.versions },
    command: `pnpm install && ${env ? `${env} ` : ""}${SUITE_COMMAND}`,
    settings: settingsText(ctx.load),
    scenarios: reports,
    skipped,
  };
  if (interrupted) {
    // A partial run never replaces a published report.
    process.stderr.write("interrupted: no report written\n");
    process.exit(130);
  }
  await writeFile(
    join(ctx.outDir, "results.json"),
    JSON.stringify({ output, input, load: ctx.load }, null, 2),
  );
  await writeReport(input, output);
  ctx.log(`wrote ${output}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
