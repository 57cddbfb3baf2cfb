import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `condition` holds. The bound only turns a hang into a readable failure; it is
 * generous and never the thing a test asserts.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, everyMs = 25 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** First executable among `candidates` (absolute paths or names looked up on PATH). */
export function findExecutable(candidates: Array<string | undefined>): string | undefined {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const files = candidate.includes("/")
      ? [candidate]
      : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, candidate));
    for (const file of files) {
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {}
    }
  }
  return undefined;
}

/** True under CI, where a missing service is a failure and never a skip. */
export const isCI = process.env.CI === "true" || process.env.CI === "1";
