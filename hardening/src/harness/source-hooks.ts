import { existsSync } from "node:fs";
import { registerHooks } from "node:module";

/**
 * `node --import <this file> script.ts`: lets child processes of the suite run from TypeScript
 * sources, resolving workspace packages (`@deeprecall/<name>`) to `packages/<name>/src/index.ts`
 * like the "@deeprecall/source" export condition does in vitest. Other packages resolve normally.
 */
const packagesDir = new URL("../../../packages/", import.meta.url);

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
