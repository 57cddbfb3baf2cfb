import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { request } from "node:http";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_DIR = join(BENCH_DIR, "..");

export interface RunningProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once anything answers HTTP on the port (any status). */
export async function waitForHttp(port: number, path = "/", timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path, method: "GET", timeout: 2000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("error", () => resolve(false));
      req.on("timeout", () => {
        req.destroy();
        resolve(false);
      });
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Known port (the child was told); else the child must print `READY <port>`. */
  port?: number;
  readyPath?: string;
  timeoutMs?: number;
  /** Pin the process (all its threads) to this CPU with `taskset`, when available. */
  cpu?: number;
}

let tasksetAvailable: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetAvailable === undefined) {
    try {
      execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
      tasksetAvailable = true;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/**
 * With 2+ CPUs, the load generator (this process) and the server under test get a CPU each, so
 * they never compete with each other; returns the CPU for servers, or undefined (no pinning).
 */
export function pinLoadGenerator(enabled: boolean): number | undefined {
  if (!enabled || cpus().length < 2 || !hasTaskset()) return undefined;
  execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  return 0;
}

/**
 * Starts a server process and waits until it answers HTTP. Its stderr is kept (last 4 KB) for the
 * error message if it dies early.
 */
export async function spawnServer(options: SpawnOptions): Promise<RunningProcess> {
  const pinned = options.cpu !== undefined && hasTaskset();
  const command = pinned ? "taskset" : options.command;
  const args = pinned ? ["-c", String(options.cpu), options.command, ...options.args] : options.args;
  const child = spawn(command, args, {
    cwd: options.cwd ?? BENCH_DIR,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4096);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code, signal) =>
      reject(new Error(`${options.name} exited early (code ${code}, signal ${signal}): ${stderr.trim()}`)),
    );
    child.once("error", reject);
  });
  exited.catch(() => {});
  const announced = new Promise<number>((resolve) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /READY (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });
  try {
    const port = options.port ?? (await Promise.race([announced, exited]));
    await Promise.race([waitForHttp(port, options.readyPath ?? "/", options.timeoutMs), exited]);
    // Keep draining stdout so a chatty child never blocks on a full pipe.
    child.stdout?.resume();
    return {
      name: options.name,
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      stop: () => stopProcess(child),
    };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

/** Arguments to run one of our TypeScript entry points with the workspace sources. */
export function nodeArgs(script: string, extra: string[] = [], nodeFlags: string[] = []): string[] {
  return [...nodeFlags, "--conditions=@deeprecall/source", join(BENCH_DIR, "src", script), ...extra];
}
