import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnv, cliArgs } from "./testing/cli-process.ts";

// The bin checks the Node.js version before it loads the CLI: on Node 20 the CLI's static imports
// failed to link ("does not provide an export named 'glob'"), a SyntaxError that said nothing
// about the version. An --import preload fakes an old version for the whole process.
const fakeVersion = (version: string) =>
  `data:text/javascript,Object.defineProperty(process.versions,"node",{value:${JSON.stringify(version)}})`;

const cwd = mkdtempSync(path.join(tmpdir(), "deeprecall-bin-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function run(args: string[], preload?: string) {
  return spawnSync(process.execPath, [...(preload ? ["--import", preload] : []), ...cliArgs(args)], {
    cwd,
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("deeprecall bin on an old Node.js", () => {
  it("prints one line naming the version needed and exits 1, before loading the CLI", () => {
    const result = run(["ingest", "--path", "docs"], fakeVersion("20.11.1"));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "error: deeprecall needs Node.js 22.12 or later; this is v20.11.1. Install a newer Node.js (https://nodejs.org/, or e.g. `nvm install 22`) and run it again.\n",
    );
  });

  it("runs the CLI on a recent enough one", () => {
    const result = run(["--version"], fakeVersion("22.12.0"));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
