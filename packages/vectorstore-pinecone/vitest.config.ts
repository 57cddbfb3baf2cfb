import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// Some third-party packages (e.g. eventsource-parser, used by `ai`) also publish a "source"
// export condition pointing at .ts files under node_modules, which Node refuses to load. So
// instead of the global "source" condition, workspace packages are aliased to their sources.
const packagesDir = resolve(import.meta.dirname, "..");
const alias: Record<string, string> = {};
for (const dir of readdirSync(packagesDir)) {
  try {
    const pkg = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
    const source = pkg.exports?.["."]?.source;
    if (typeof pkg.name === "string" && typeof source === "string") alias[pkg.name] = join(packagesDir, dir, source);
  } catch {
    // not a package
  }
}
const conditions = ["import", "node", "default"];

export default defineConfig({
  ...sharedTestConfig,
  resolve: { ...sharedTestConfig.resolve, conditions, alias },
  ssr: { ...sharedTestConfig.ssr, resolve: { ...sharedTestConfig.ssr?.resolve, conditions } },
});
