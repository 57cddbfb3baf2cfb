import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchServerHealth } from "../server-health.ts";
import { cleanEnv, IDLE_PORT, runCli } from "./cli-process.ts";

// The CLIs the tests start must not depend on what runs on the default port 8000 (often the
// developer's own `deeprecall serve`): it made ingest print an extra warning line and sent
// GET /health to that server.

let root: string;
let other: Server;
let otherPort: number;
let healthRequests = 0;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-cli-process-"));
  // Answers like a `deeprecall serve` on another folder's store.
  other = createServer((request, response) => {
    if (request.url === "/health") healthRequests++;
    response.setHeader("content-type", "application/json");
    response.end(
      JSON.stringify({ engine_model: "m", vector_store: "local", persist_dir: path.join(root, "elsewhere") }),
    );
  });
  await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
  otherPort = (other.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => other.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe("cleanEnv gives child CLIs a port where nothing answers", () => {
  it("sets DEEPRECALL_PORT to the held idle port unless the test sets DEEPRECALL_PORT or PORT", async () => {
    expect(cleanEnv().DEEPRECALL_PORT).toBe(String(IDLE_PORT));
    expect(IDLE_PORT).not.toBe(8000);
    expect(cleanEnv({ DEEPRECALL_PORT: "7001" }).DEEPRECALL_PORT).toBe("7001");
    expect(cleanEnv({ PORT: "7002" })).not.toHaveProperty("DEEPRECALL_PORT");
    expect(await fetchServerHealth(`http://127.0.0.1:${IDLE_PORT}`, { timeoutMs: 2000 })).toBeUndefined();
  });

  it("so ingest says nothing of a server elsewhere, and asks it nothing; on its port it would warn", async () => {
    const cwd = path.join(root, "project");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(path.join(cwd, "a.md"), "Alpha.");
    const quiet = await runCli(["ingest", "a.md"], { cwd });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("warning");
    expect(healthRequests).toBe(0);
    const status = JSON.parse((await runCli(["status", "--json"], { cwd })).stdout) as {
      config: Record<string, { value: string }>;
    };
    expect(status.config["--port"]?.value).toBe(String(IDLE_PORT));

    // The control: the same command, pointed at that server, does warn (the probe is real). Its
    // time limit raised from 300 ms (a test hook) so that a busy machine cannot hide the answer.
    const warned = await runCli(["ingest", "a.md"], {
      cwd,
      env: { DEEPRECALL_PORT: String(otherPort), DEEPRECALL_TEST_SERVER_PROBE_MS: "10000" },
    });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain(`warning: a deeprecall server answers at http://127.0.0.1:${otherPort}`);
    expect(healthRequests).toBe(1);
  });
});
