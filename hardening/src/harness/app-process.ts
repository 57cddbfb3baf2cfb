import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SOURCE_HOOKS } from "@deeprecall/test-utils";

const APP_MAIN = fileURLToPath(new URL("../../../apps/server/src/main.ts", import.meta.url));

export interface AppProcess {
  child: ChildProcess;
  url: string;
  logs(): Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** The developer's provider keys and DEEPRECALL_* settings never reach the child. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(DEEPRECALL_|OPENAI_|ANTHROPIC_|GOOGLE_|PINECONE_|CHROMA_|REDIS_URL$|PORT$|HOST$)/.test(key))
      continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

function parseLogs(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {}
  }
  return out;
}

/**
 * Starts a Node script as a child process from TypeScript sources (workspace packages resolved
 * to their sources) and resolves once it logs a JSON line with `msg: "listening"` and a `url`.
 * Default script: apps/server's entry point.
 */
export function startAppProcess(
  env: Record<string, string>,
  options: { script?: string; args?: string[]; nodeArgs?: string[] } = {},
): Promise<AppProcess> {
  const script = options.script ?? APP_MAIN;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), "--import", SOURCE_HOOKS, script, ...(options.args ?? [])],
      {
        env: cleanEnv(env),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let started = false;
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-20_000);
    });
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      if (started || !stdout.includes('"listening"')) return;
      const listening = parseLogs(stdout).find((l) => l.msg === "listening");
      if (!listening) return;
      started = true;
      resolve({
        child,
        url: String(listening.url),
        logs: () => parseLogs(stdout),
        exited,
        stderr: () => stderr,
      });
    });
    void exited.then((code) => {
      if (!started)
        reject(
          new Error(`process exited with ${code} before listening\nstdout: ${stdout}\nstderr: ${stderr}`),
        );
    });
  });
}
