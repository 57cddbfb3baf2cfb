import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@deeprecall/test-utils";

// Re-exported for the tests that import it from this fixture.
export { freePort };

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export const CHROMA_INSTALL_HINT =
  "Install the Chroma server (the `chromadb` Python package) with: python3 -m venv .venv && .venv/bin/pip install chromadb (at the repo root), or set CHROMA_BIN to a `chroma` binary, or CHROMA_URL to a running server.";

/**
 * `$CHROMA_BIN`, else `<repo root>/.venv/bin/chroma`, else `chroma` on PATH; undefined when none
 * exists. A `chroma` under node_modules is the chromadb npm package's (pnpm puts its bin on the
 * PATH of package scripts): its native server needs glibc 2.38, so it does not run on Debian 12,
 * and it is not the Python server these tests are written against.
 */
export function findChromaBinary(): string | undefined {
  const fromEnv = process.env.CHROMA_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const venv = join(REPO_ROOT, ".venv", "bin", "chroma");
  if (existsSync(venv)) return venv;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.split(sep).includes("node_modules")) continue;
    if (existsSync(join(dir, "chroma"))) return join(dir, "chroma");
  }
  return undefined;
}

/** Why no Chroma server binary can be found, with how to install one; undefined when one can. */
export function chromaBinaryMissing(): string | undefined {
  if (findChromaBinary()) return undefined;
  const where = process.env.CHROMA_BIN
    ? `CHROMA_BIN=${process.env.CHROMA_BIN} does not exist`
    : `no chroma binary at $CHROMA_BIN, ${join(REPO_ROOT, ".venv/bin/chroma")} or on PATH`;
  return `The Chroma store's tests need a real Chroma server: ${where}. ${CHROMA_INSTALL_HINT}`;
}

export interface RunningChroma {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `chroma run` on a free port with a fresh data directory and waits for its heartbeat.
 * Waiting is bounded (the server normally answers within seconds); the bound only turns a hung
 * start into a clear failure, it is not a timing assertion.
 */
export async function startChroma(options: { dataDir?: string } = {}): Promise<RunningChroma> {
  const binary = findChromaBinary();
  if (!binary) {
    throw new Error(
      `No Chroma server binary found (looked at $CHROMA_BIN, ${join(REPO_ROOT, ".venv/bin/chroma")}, PATH). ${CHROMA_INSTALL_HINT}`,
    );
  }
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "deeprecall-chroma-")));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    ["run", "--path", dataDir, "--host", "127.0.0.1", "--port", String(port)],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ANONYMIZED_TELEMETRY: "False" },
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code) => {
      exited = code;
      resolve();
    });
  });

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`chroma run exited with code ${exited} before answering. Output:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/api/v2/heartbeat`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`chroma run did not answer its heartbeat on ${url}. Output:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    url,
    async stop() {
      if (exited === undefined) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(killer);
      }
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
