import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { describe, it } from "vitest";

/**
 * The Chromium binary the end-to-end tests drive (Playwright's own browser download cannot be
 * used here): `$DEEPRECALL_CHROMIUM_BIN`, else `chromium` / `chromium-browser` on PATH, else
 * /usr/bin/chromium (Debian's `apt-get install chromium`). null when none is found.
 */
export function findChromium(): string | null {
  const fromEnv = process.env.DEEPRECALL_CHROMIUM_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const found = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (found && existsSync(found)) return found;
    } catch {
      // not on PATH
    }
  }
  return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : null;
}

export const CHROMIUM = findChromium();

const MISSING = process.env.DEEPRECALL_CHROMIUM_BIN
  ? `DEEPRECALL_CHROMIUM_BIN is set to ${process.env.DEEPRECALL_CHROMIUM_BIN}, which does not exist.`
  : "No Chromium found for the console's browser tests: set DEEPRECALL_CHROMIUM_BIN, or install Debian's chromium (apt-get install -y chromium).";

/**
 * `describe` for browser tests: runs them when Chromium is found; otherwise skips them with a
 * message, except under CI=true where a missing browser is a failure, never a silent skip.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (CHROMIUM) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("finds Chromium", () => {
        throw new Error(MISSING);
      });
    });
    return;
  }
  console.warn(`[console e2e] skipped: ${MISSING}`);
  describe.skip(name, body);
}

/** Launches headless Chromium (the found binary). */
export function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(MISSING);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Containers run as root without a usable sandbox; the pages opened are our own console.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}
