import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@deeprecall/core";
import { skipOrFailForMissing } from "@deeprecall/test-utils";
import { type BundledChroma, freePort, startBundledChroma } from "../chroma-server.ts";

const REPO_VENV_CHROMA = fileURLToPath(new URL("../../../../.venv/bin/chroma", import.meta.url));

export const CHROMA_INSTALL_HINT =
  "install the Chroma server (the `chromadb` Python package) at the repo root: python3 -m venv .venv && .venv/bin/pip install chromadb; or set CHROMA_BIN to a `chroma` binary, or CHROMA_URL to a running server";

export type TestChroma = { chroma: BundledChroma; skip: "" } | { chroma: undefined; skip: string };

/**
 * A Chroma server for end-to-end tests: `CHROMA_URL` when set (nothing to stop), else the
 * Python `chroma` binary (`CHROMA_BIN`, or the repo's `.venv/bin/chroma`, as the Chroma store's
 * tests use), else the chromadb npm package's bundled server that `deeprecall serve` starts.
 * When none of them can run (no Python chroma, and the bundled one needs a newer glibc than
 * Debian 12's), `skip` says so and how to install one, for the name of the skipped suite; under
 * CI=true that throws instead. A Python chroma that is there but fails to start always throws.
 */
export async function chromaForTests(dataDir: string): Promise<TestChroma> {
  if (process.env.CHROMA_URL) {
    return { chroma: { url: process.env.CHROMA_URL, path: dataDir, stop: async () => {} }, skip: "" };
  }
  const configured = process.env.CHROMA_BIN;
  if (configured && !existsSync(configured)) {
    return {
      chroma: undefined,
      skip: skipOrFailForMissing(`CHROMA_BIN=${configured} does not exist; ${CHROMA_INSTALL_HINT}`),
    };
  }
  const binary = configured || (existsSync(REPO_VENV_CHROMA) ? REPO_VENV_CHROMA : undefined);
  if (binary) return { chroma: await startChromaBinary(binary, dataDir), skip: "" };
  try {
    return { chroma: await startBundledChroma(dataDir), skip: "" };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Its message ends with advice for `deeprecall serve` users; the tests need other advice.
    const why = error.message.split(" Start a Chroma server yourself")[0]!.replace(/^The b/, "the b");
    return {
      chroma: undefined,
      skip: skipOrFailForMissing(
        `no Chroma server for the Chroma tests (no $CHROMA_BIN, no ${REPO_VENV_CHROMA}, and ${why}); ${CHROMA_INSTALL_HINT}`,
      ),
    };
  }
}

async function startChromaBinary(binary: string, dataDir: string): Promise<BundledChroma> {
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
