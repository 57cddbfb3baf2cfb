import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@deeprecall/test-utils";
import { BENCH_DIR, REPO_DIR, type RunningProcess, spawnServer } from "./proc.ts";

const run = promisify(execFile);

export type Availability = { ok: true; path: string; version: string } | { ok: false; reason: string };

const installAllowed = () => process.env.BENCH_NO_INSTALL !== "1";

async function pipVersion(python: string, pkg: string): Promise<string> {
  const { stdout } = await run(python, [
    "-c",
    `import importlib.metadata as m; print(m.version(${JSON.stringify(pkg)}))`,
  ]);
  return stdout.trim();
}

async function createVenv(dir: string, requirements: string[], log: (line: string) => void): Promise<void> {
  log(`  installing ${requirements.join(" ")} into ${dir} (PyPI)`);
  await run("python3", ["-m", "venv", dir], { timeout: 120_000 });
  await run(join(dir, "bin", "pip"), ["install", "--quiet", ...requirements], {
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The original Python DeepRecall (PyPI `deeprecall[server]`) in bench/.venv-py. */
export async function ensurePythonOriginal(log: (line: string) => void): Promise<Availability> {
  const dir = join(BENCH_DIR, ".venv-py");
  const python = join(dir, "bin", "python");
  try {
    if (!existsSync(python) && installAllowed())
      await createVenv(dir, ["deeprecall[server]", "uvicorn"], log);
    if (!existsSync(python)) return { ok: false, reason: `no virtualenv at ${dir} (BENCH_NO_INSTALL=1)` };
    const version = await pipVersion(python, "deeprecall");
    await run(python, ["-c", "import deeprecall.adapters.openai_server, uvicorn"]);
    return { ok: true, path: python, version };
  } catch (error) {
    return { ok: false, reason: `pip install "deeprecall[server]" failed: ${String(error).slice(0, 400)}` };
  }
}

export async function startPythonOriginal(
  python: string,
  mode: "instant" | "slow" | "secured",
  options: { env?: Record<string, string>; cpu?: number | undefined } = {},
): Promise<RunningProcess> {
  const port = await freePort();
  return spawnServer({
    name: `python-${mode}`,
    command: python,
    args: [join(BENCH_DIR, "python", "server.py"), mode, String(port)],
    port,
    readyPath: "/health",
    env: options.env ?? {},
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
  });
}

/** The `chroma` CLI: the repo's .venv (shared with the Chroma store's tests), else bench/.venv-chroma. */
export async function ensureChroma(log: (line: string) => void): Promise<Availability> {
  const candidates = [
    process.env.BENCH_CHROMA_BIN,
    join(REPO_DIR, ".venv", "bin", "chroma"),
    join(BENCH_DIR, ".venv-chroma", "bin", "chroma"),
  ].filter((p): p is string => typeof p === "string" && p.length > 0);
  try {
    let bin = candidates.find((p) => existsSync(p));
    if (!bin && installAllowed()) {
      const dir = join(BENCH_DIR, ".venv-chroma");
      await createVenv(dir, ["chromadb"], log);
      bin = join(dir, "bin", "chroma");
    }
    if (!bin || !existsSync(bin)) return { ok: false, reason: "no chroma binary found (BENCH_NO_INSTALL=1)" };
    const python = join(bin, "..", "python");
    const version = await pipVersion(python, "chromadb");
    return { ok: true, path: bin, version };
  } catch (error) {
    return { ok: false, reason: `chromadb not available: ${String(error).slice(0, 400)}` };
  }
}

export async function startChroma(bin: string, dataDir: string): Promise<RunningProcess> {
  const port = await freePort();
  return spawnServer({
    name: "chroma",
    command: bin,
    args: ["run", "--path", dataDir, "--host", "127.0.0.1", "--port", String(port)],
    port,
    readyPath: "/api/v2/heartbeat",
    timeoutMs: 120_000,
  });
}
