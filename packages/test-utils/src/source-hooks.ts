import { existsSync } from "node:fs";
import { registerHooks } from "node:module";

/**
 * `node --import <this file> script.ts` (the path is `SOURCE_HOOKS`): runs a child process from
 * TypeScript sources with the workspace packages (`@deeprecall/<name>`) resolved to
 * `packages/<name>/src/index.ts` (what their "@deeprecall/source" export condition names), and
 * every other package resolved normally. (`--conditions=@deeprecall/source` would not do:
 * Node's sync hooks do not pass custom conditions on to the default resolver, and a condition
 * would also apply to third-party packages.)
 *
 * Importing this module registers the hook; import `SOURCE_HOOKS` (source-hooks-path.ts) to get
 * its path.
 */
const packagesDir = new URL("../../", import.meta.url);

registerHooks({
  resolve(specifier, context, nextResolve) {
    const match = /^@deeprecall\/([a-z0-9-]+)$/.exec(specifier);
    if (match) {
      const url = new URL(`${match[1]}/src/index.ts`, packagesDir);
      if (existsSync(url)) return { url: url.href, format: "module-typescript", shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
