import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// The shared config resolves every package with the "source" condition. Some third-party
// packages (eventsource-parser, pulled in by the AI SDK providers) publish a "source" export
// of raw TypeScript under node_modules, which Node refuses to run. So this package resolves
// only the workspace packages to their sources, by alias, and everything else normally.
const packagesDir = fileURLToPath(new URL("../", import.meta.url));
const conditions = ["import", "node", "default"];

export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, globalSetup: ["./vitest.global-setup.ts"] },
  resolve: {
    conditions,
    alias: [{ find: /^@deeprecall\/([a-z-]+)$/, replacement: `${packagesDir}$1/src/index.ts` }],
  },
  ssr: { resolve: { conditions } },
});
