import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BundledChroma, freePort, startBundledChroma } from "../chroma-server.ts";

const REPO_VENV_CHROMA = fileURLToPath(new URL("../../../../.venv/bin/chroma", import.meta.url));

/**
 * A Chroma server for end-to-end tests: `CHROMA_URL` when set (nothing to stop), else the
 * Python `chroma` binary (`CHROMA_BIN`, or the repo's `.venv/bin/chroma`, as the Chroma store's
 * tests use), else the chromadb npm package's bundled server that `deeprecall serve` starts.
 */
export async function startTestChroma(dataDir: string): Promise<BundledChroma> {
  if (process.env.CHROMA_URL) return { url: process.env.CHROMA_URL, path: dataDir, stop: async () => {} };
  const binary = process.env.CHROMA_BIN ?? (existsSync(REPO_VENV_CHROMA) ? REPO_VENV_CHROMA : undefined);
  if (!binary) return startBundledChroma(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    ["run", "--path", dataDir, "--host", "127.0.0.1", "--port", String(port)],
    {
      stdio: "ignore",
      env: { ...process.env, ANONYMIZED_TELEMETRY: "False" },
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  // Bounded only so that a server that never comes up fails the test with a message.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const alive = await fetch(`${url}/api/v2/heartbeat`).then(
      (r) => r.ok,
      () => false,
    );
    if (alive) return { url, path: dataDir, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`${binary} run did not answer its heartbeat on ${url}`);
}
