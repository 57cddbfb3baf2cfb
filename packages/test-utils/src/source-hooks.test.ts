import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOURCE_HOOKS } from "./source-hooks-path.ts";

const run = promisify(execFile);

describe("the source loader hook", () => {
  let dir: string;
  beforeAll(async () => {
    // Outside the workspace: no node_modules can resolve @deeprecall/* here, only the hook.
    dir = await mkdtemp(join(tmpdir(), "deeprecall-source-hooks-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("SOURCE_HOOKS names the hook file", () => {
    expect(existsSync(SOURCE_HOOKS)).toBe(true);
    expect(SOURCE_HOOKS.endsWith(join("test-utils", "src", "source-hooks.ts"))).toBe(true);
  });

  it("resolves a workspace package to its TypeScript sources", async () => {
    const script = join(dir, "uses-workspace.mjs");
    await writeFile(
      script,
      'console.log(import.meta.resolve("@deeprecall/middleware"));\n' +
        'const m = await import("@deeprecall/middleware");\n' +
        "console.log(Object.keys(m).length > 0);\n",
    );
    const { stdout } = await run(process.execPath, ["--import", SOURCE_HOOKS, script]);
    const [resolved, loaded] = stdout.trim().split("\n");
    expect(resolved).toMatch(/\/packages\/middleware\/src\/index\.ts$/);
    expect(loaded).toBe("true");
  });

  it("leaves other specifiers (and unknown @deeprecall names) to Node", async () => {
    const script = join(dir, "unknown.mjs");
    await writeFile(script, 'await import("@deeprecall/no-such-package");\n');
    await expect(run(process.execPath, ["--import", SOURCE_HOOKS, script])).rejects.toMatchObject({
      stderr: expect.stringContaining("ERR_MODULE_NOT_FOUND"),
    });
  });
});
