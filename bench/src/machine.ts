import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, type as osType, release, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_DIR } from "./proc.ts";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  freeRamGiB: number;
  os: string;
  node: string;
  python: string;
  /** 1-minute load average when the run started (other work on the machine shows up here). */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text)?.[1];
    if (pretty) return `${pretty} (${osType()} ${release()})`;
  } catch {
    // not Linux
  }
  return `${osType()} ${release()}`;
}

export function machineInfo(): MachineInfo {
  let python = "not found";
  try {
    python = execFileSync("python3", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    // no python3
  }
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    ramGiB: totalmem() / 1024 ** 3,
    freeRamGiB: freemem() / 1024 ** 3,
    os: osName(),
    node: process.version,
    python,
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}

/** Versions of the npm packages involved, read from their package.json (as resolved from each workspace package). */
export function npmVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  // pnpm links each dependency into the depending package's node_modules; read it from there
  // (resolving "<name>/package.json" fails for packages whose exports map does not list it).
  const read = (from: string, name: string) => {
    try {
      const path = join(REPO_DIR, from, "node_modules", name, "package.json");
      versions[name] = (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
    } catch {
      // not installed
    }
  };
  for (const pkg of ["core", "server", "middleware", "redis", "vectorstore-local", "vectorstore-chroma"]) {
    const path = join(REPO_DIR, "packages", pkg, "package.json");
    try {
      versions[`@deeprecall/${pkg}`] = (
        JSON.parse(readFileSync(path, "utf8")) as { version: string }
      ).version;
    } catch {
      // package absent
    }
  }
  read("packages/server", "hono");
  read("packages/server", "@hono/node-server");
  read("packages/server", "@hono/zod-openapi");
  read("packages/core", "ai");
  read("packages/core", "quickjs-emscripten-core");
  read("packages/core", "@jitl/quickjs-wasmfile-release-sync");
  read("packages/core", "zod");
  read("packages/vectorstore-chroma", "chromadb");
  read("bench", "autocannon");
  return versions;
}
