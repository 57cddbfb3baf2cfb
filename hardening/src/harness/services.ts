import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@deeprecall/test-utils";
import { findExecutable, waitFor } from "./util.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const REDIS_HINT =
  "redis-server is needed (on PATH or at $REDIS_SERVER_BIN): apt-get install -y redis-server";
export const CHROMA_HINT =
  "The Chroma server is needed ($CHROMA_BIN, <repo>/.venv/bin/chroma or `chroma` on PATH): python3 -m venv .venv && .venv/bin/pip install chromadb";

export const findRedis = () => findExecutable([process.env.REDIS_SERVER_BIN, "redis-server"]);
export const findChroma = () =>
  findExecutable([process.env.CHROMA_BIN, join(REPO_ROOT, ".venv/bin/chroma"), "chroma"]);

/** `chroma run` on a free port with a fresh data directory; kill() and restart keep the data. */
export class ChromaProcess {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  #child: ChildProcess | null = null;
  #output = "";

  private constructor(port: number, dataDir: string) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir;
  }

  static async start(): Promise<ChromaProcess> {
    const chroma = new ChromaProcess(await freePort(), await mkdtemp(join(tmpdir(), "deeprecall-chroma-")));
    await chroma.up();
    return chroma;
  }

  async up(): Promise<void> {
    const bin = findChroma();
    if (!bin) throw new Error(CHROMA_HINT);
    const child = spawn(
      bin,
      ["run", "--path", this.dataDir, "--host", "127.0.0.1", "--port", String(this.port)],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ANONYMIZED_TELEMETRY: "False" } },
    );
    const keep = (d: Buffer) => {
      this.#output = (this.#output + d.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.#child = child;
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`chroma exited during startup:\n${this.#output}`);
        try {
          const res = await fetch(`${this.url}/api/v2/heartbeat`);
          return res.ok;
        } catch {
          return false;
        }
      },
      "the Chroma server to start",
      { timeoutMs: 90_000, everyMs: 200 },
    );
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
