import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { ConfigError } from "@deeprecall/core";

export interface BundledChroma {
  url: string;
  /** Where it persists. */
  path: string;
  stop(): Promise<void>;
}

const HELP =
  "Start a Chroma server yourself (pip install chromadb && chroma run --path ./chroma-data --port 8001) " +
  "and pass --chroma-url http://localhost:8001, or use the embedded store (--vectorstore local)";

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Path of the `chroma` CLI shipped by the chromadb npm package (its native bindings run the server):
 * the `bin` its package.json declares. The package root is found by walking up from the resolved
 * entry rather than by a fixed number of levels, because the entry differs with the resolver: Node's
 * require gives `dist/cjs/chromadb.cjs`, vitest's gives `dist/chromadb.mjs`.
 */
export function chromaCliPath(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve("chromadb");
  } catch (cause) {
    throw new ConfigError(
      `The chromadb npm package is not installed, so no local Chroma can be started. ${HELP}`,
      {
        field: "chromaUrl",
        cause,
      },
    );
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = readPackageJson(path.join(dir, "package.json"));
    if (manifest?.name !== "chromadb") continue;
    const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.chroma;
    return path.join(dir, bin ?? "dist/cli.mjs");
  }
  throw new ConfigError(`The chromadb npm package at ${entry} has no package.json above it. ${HELP}`, {
    field: "chromaUrl",
  });
}

function readPackageJson(
  file: string,
): { name?: string; bin?: string | Record<string, string | undefined> } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as {
      name?: string;
      bin?: string | Record<string, string | undefined>;
    };
  } catch {
    return undefined;
  }
}

async function heartbeat(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

function firstMeaningfulLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const error = lines.find((l) => /^(Error|error)\b|GLIBC|not found|cannot|Unsupported/.test(l));
  return (error ?? lines[0] ?? "it exited without output")
    .replace(/\s*\(required by [^)]*\)/, "")
    .slice(0, 300);
}

/**
 * Starts Chroma's own local server (`chroma run`, from the chromadb npm package) on a free
 * port, persisting under `dataDir`, and waits until it answers its heartbeat. Where the
 * package's native binding cannot run (e.g. an older glibc), fails with a ConfigError that
 * says why and what to use instead.
 */
export async function startBundledChroma(
  dataDir: string,
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<BundledChroma> {
  const cli = chromaCliPath();
  mkdirSync(dataDir, { recursive: true });
  const host = "127.0.0.1";
  const port = await freePort(host);
  const url = `http://${host}:${port}`;
  options.log?.(`Starting the bundled Chroma server on ${url} (data in ${dataDir})...`);
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, "run", "--path", dataDir, "--host", host, "--port", String(port)],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CHROMA_TELEMETRY: "false" } },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-8000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  // Never leave the server behind when this process exits without calling stop().
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once("error", (error) => {
      spawnError = error;
      resolve();
    });
  });

  const stop = async () => {
    if (exited || spawnError) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (spawnError || exited) {
      const why = spawnError ? spawnError.message : firstMeaningfulLine(output);
      throw new ConfigError(
        `The bundled Chroma server (chromadb npm package) cannot run on this platform: ${why}. ${HELP}`,
        { field: "chromaUrl" },
      );
    }
    if (await heartbeat(url)) {
      // Don't keep the CLI alive just for the pipes; the server is stopped explicitly.
      child.stdout?.removeAllListeners("data");
      child.stderr?.removeAllListeners("data");
      child.stdout?.resume();
      child.stderr?.resume();
      return { url, path: dataDir, stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new ConfigError(
    `The bundled Chroma server did not answer on ${url} within ${Math.round((options.timeoutMs ?? 30_000) / 1000)}s${output ? ` (${firstMeaningfulLine(output)})` : ""}. ${HELP}`,
    { field: "chromaUrl" },
  );
}
