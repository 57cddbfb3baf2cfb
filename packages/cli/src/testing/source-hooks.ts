import { registerHooks } from "node:module";

/**
 * `node --import ./source-hooks.ts src/bin.ts`: runs the CLI from TypeScript sources with the
 * workspace packages (@deeprecall/*) resolved to their sources too, through their "source"
 * export condition, and every other package resolved normally. (`--conditions=source` would
 * also apply to third-party packages, some of which publish raw TypeScript under that name.)
 */
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith("@deeprecall/")) {
      return nextResolve(specifier, { ...context, conditions: ["source", ...context.conditions] });
    }
    return nextResolve(specifier, context);
  },
});
