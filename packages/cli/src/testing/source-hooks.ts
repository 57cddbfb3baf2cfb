import { existsSync } from "node:fs";
import { registerHooks } from "node:module";

/**
 * `node --import ./source-hooks.ts src/bin.ts`: runs the CLI from TypeScript sources with the
 * workspace packages (@deeprecall/*) resolved to their `src/index.ts` (what their "source"
 * export condition names), and every other package resolved normally. (`--conditions=source`
 * would also apply to third-party packages, some of which publish raw TypeScript under that
 * condition, and Node's sync hooks do not pass custom conditions on to the default resolver.)
 */
const packagesDir = new URL("../../../", import.meta.url);

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
