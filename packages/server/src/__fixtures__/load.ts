import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * A minimal HTTP/1.1 keep-alive load generator over raw sockets: `connections` sockets, each
 * sending the same request again as soon as the previous response is complete (no pipelining,
 * like autocannon's default). Raw sockets keep the client's own cost per request far below the
 * servers', so the bare `node:http` floor is not capped by the client.
 */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  rps: number;
  bytesPerResponse: number;
}

export function buildRequest(port: number, path: string, body: string): Buffer {
  const payload = Buffer.from(body);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${payload.length}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), payload]);
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("\r\n0\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** Byte length of the first complete response in `buf`, or -1 if it is not complete yet. */
function responseLength(buf: Buffer): { length: number; status: number; bodyBytes: number } | null {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd === -1) return null;
  const head = buf.toString("latin1", 0, headerEnd);
  const status = Number(head.slice(9, 12));
  const match = CONTENT_LENGTH.exec(head);
  if (match) {
    const length = headerEnd + 4 + Number(match[1]);
    return buf.length >= length ? { length, status, bodyBytes: Number(match[1]) } : null;
  }
  // Chunked: complete once the terminating zero-size chunk is in.
  const end = buf.indexOf(CHUNKED_END, headerEnd);
  if (end === -1) return null;
  return { length: end + CHUNKED_END.length, status, bodyBytes: end - headerEnd };
}

export async function runLoad(options: {
  port: number;
  request: Buffer;
  connections: number;
  durationMs: number;
}): Promise<LoadResult> {
  let requests = 0;
  let errors = 0;
  let non2xx = 0;
  let bodyBytes = 0;
  const started = performance.now();
  const until = started + options.durationMs;
  const one = () =>
    new Promise<void>((resolve) => {
      const socket = connect({ port: options.port, host: "127.0.0.1", noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      socket.on("connect", () => socket.write(options.request));
      socket.on("data", (data: Buffer) => {
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
        for (;;) {
          const response = responseLength(pending);
          if (!response) return;
          requests++;
          bodyBytes += response.bodyBytes;
          if (response.status < 200 || response.status >= 300) non2xx++;
          pending = pending.subarray(response.length);
          if (performance.now() < until) socket.write(options.request);
          else {
            socket.end();
            return;
          }
        }
      });
      socket.on("error", () => {
        errors++;
        socket.destroy();
      });
      socket.on("close", () => resolve());
    });
  await Promise.all(Array.from({ length: options.connections }, one));
  const seconds = (performance.now() - started) / 1000;
  return {
    requests,
    errors,
    non2xx,
    seconds,
    rps: requests / seconds,
    bytesPerResponse: requests ? Math.round(bodyBytes / requests) : 0,
  };
}

export interface BenchServer {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts src/__fixtures__/bench-server.ts in its own Node process (TypeScript run by Node's type
 * stripping; workspace packages resolved to their sources). `BENCH_CPU_PROF=<dir>` writes a
 * `--cpu-prof` profile of each server there.
 */
export function startBenchServer(mode: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const script = fileURLToPath(new URL("./bench-server.ts", import.meta.url));
  const profDir = process.env.BENCH_CPU_PROF;
  const args = [
    "--conditions=@deeprecall/source",
    ...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${mode}.cpuprofile`] : []),
    script,
    mode,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
    child.stdout!.on("data", (data: Buffer) => {
      out += data.toString();
      const match = /READY (\d+)/.exec(out);
      if (!match) return;
      child.removeAllListeners("exit");
      resolve({
        port: Number(match[1]),
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}
