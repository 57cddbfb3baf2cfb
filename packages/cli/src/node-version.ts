/**
 * The oldest Node.js the CLI runs on: package.json's `engines.node` (">=22.12"; a test keeps the
 * two equal). `fs/promises` `glob`, `path.matchesGlob` and `require(esm)` are newer than Node 20.
 */
export const MIN_NODE_VERSION = "22.12";

function parts(version: string): number[] {
  return version
    .replace(/^v/, "")
    .split(".")
    .map((p) => Number.parseInt(p, 10) || 0);
}

/**
 * The one-line error to print when `version` (e.g. `process.versions.node`) is older than
 * `minimum`; undefined when it is recent enough. Kept free of imports: the bin runs it before
 * loading anything that could fail to link on an old Node.
 */
export function nodeVersionError(version: string, minimum: string = MIN_NODE_VERSION): string | undefined {
  const have = parts(version);
  const need = parts(minimum);
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a > b) return undefined;
    if (a < b) {
      return `deeprecall needs Node.js ${minimum} or later; this is v${version.replace(/^v/, "")}. Install a newer Node.js (https://nodejs.org/, or e.g. \`nvm install 22\`) and run it again.`;
    }
  }
  return undefined;
}
