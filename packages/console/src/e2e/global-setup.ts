import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));

/** Newest modification time of the files under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Before the tests: the browser tests drive the built console (`dist/app/`, what the server
 * serves), so it is built when missing or older than any file of `app/` or the Vite config —
 * never testing a stale bundle, whether run through turbo (which builds first) or on its own.
 */
export default async function setup(): Promise<void> {
  const index = join(PACKAGE, "dist/app/index.html");
  const sources = Math.max(newest(join(PACKAGE, "app")), statSync(join(PACKAGE, "vite.config.ts")).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  // A child process with NODE_ENV=production: under vitest (NODE_ENV=test) Vite and the Preact
  // preset would build a development bundle (preact/debug included), not what users get.
  execFileSync(
    process.execPath,
    [join(PACKAGE, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
    {
      cwd: PACKAGE,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: "inherit",
    },
  );
}
