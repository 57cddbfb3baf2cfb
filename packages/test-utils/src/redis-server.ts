import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createConnection } from "node:net";
import { delimiter, join } from "node:path";
import { freePort } from "./free-port.ts";

/** Finds `redis-server` ($REDIS_SERVER_BIN, else PATH) or fails saying how to install it. */
export function findRedisServer(): string {
  const explicit = process.env.REDIS_SERVER_BIN;
  const candidates = explicit
    ? [explicit]
    : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "redis-server"));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  throw new Error(
    "redis-server was not found on PATH (or at $REDIS_SERVER_BIN). The @deeprecall/redis tests run " +
      "against a real Redis: install it with `apt-get install -y redis-server` (Debian/Ubuntu) or " +
      "`brew install redis` (macOS).",
  );
}

/** Why `redis-server` cannot be found (with how to install it), or undefined when it can. */
export function redisServerMissing(): string | undefined {
  try {
    findRedisServer();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.includes("\r\n")) {
        socket.destroy();
        resolve(data.startsWith("+PONG"));
      }
    });
    socket.on("error", () => resolve(false));
  });
}

/** A throwaway redis-server (no persistence) on a fixed port that can be stopped and restarted. */
export class RedisServerProcess {
  readonly port: number;
  readonly #bin: string;
  #child: ChildProcess | null = null;

  private constructor(bin: string, port: number) {
    this.#bin = bin;
    this.port = port;
  }

  static async start(port?: number): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(findRedisServer(), port ?? (await freePort()));
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error("redis-server is already running");
    const child = spawn(
      this.#bin,
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk.toString();
    });
    this.#child = child;
    const deadline = Date.now() + 20_000;
    while (!(await ping(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline)
        throw new Error(`redis-server did not answer on port ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server (SIGKILL: like a crash, no goodbye to clients) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

/** Retries `fn` until it resolves (reconnects take a moment); fails after a generous deadline. */
export async function eventually<T>(fn: () => Promise<T>, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
