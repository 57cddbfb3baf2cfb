import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SOURCE_HOOKS as HOOKS } from "@deeprecall/test-utils";

const SRC_BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));

/**
 * How tests start the CLI: from sources by default (no build needed), or the built
 * `dist/bin.js` when DEEPRECALL_CLI_BIN points at it.
 */
export function cliArgs(args: string[]): string[] {
  const built = process.env.DEEPRECALL_CLI_BIN;
  return built ? [built, ...args] : ["--import", HOOKS, SRC_BIN, ...args];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A port on 127.0.0.1 where nothing answers: this test process holds it (so no server can take it
 * for the length of the run) and closes every connection at once. The CLI's default port is 8000,
 * where the developer may well run `deeprecall serve`: commands that look for a server there
 * (ingest's "another server" warning, status) would find it, print what the tests do not expect,
 * and send it requests.
 */
async function holdIdlePort(): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the idle port has no address");
  return address.port;
}

/** The default port of every CLI the tests start (see holdIdlePort); a test's own port wins. */
export const IDLE_PORT = await holdIdlePort();

/**
 * Clean environment for child CLIs: no provider keys or DEEPRECALL_* from the developer's shell,
 * and DEEPRECALL_PORT=IDLE_PORT unless `extra` sets DEEPRECALL_PORT or PORT.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(DEEPRECALL_|OPENAI_|ANTHROPIC_|GOOGLE_GENERATIVE_AI_|PINECONE_|CHROMA_|PORT$|HOST$)/.test(key))
      continue;
    env[key] = value;
  }
  if (!("DEEPRECALL_PORT" in extra) && !("PORT" in extra)) env.DEEPRECALL_PORT = String(IDLE_PORT);
  return { ...env, NO_COLOR: "1", ...extra };
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `deeprecall ${args.join(" ")} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `deeprecall serve ...` and waits for its "listening on URL" line. */
export function startServe(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(["serve", ...args]), {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      // The banner's last line: everything before it has been printed.
      if (match && stdout.includes("OpenAI base URL for clients:")) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          stdout: () => stdout,
          stderr: () => stderr,
          exited,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}
