import { fileURLToPath } from "node:url";
import type { ViteUserConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "@deeprecall/source" export
// condition, so tests never run against a stale build of a sibling package.
export const sharedTestConfig: ViteUserConfig = {
  resolve: { conditions: ["@deeprecall/source", "import", "node", "default"] },
  ssr: { resolve: { conditions: ["@deeprecall/source", "import", "node", "default"] } },
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: [fileURLToPath(new URL("./vitest.sandbox-guard.ts", import.meta.url))],
  },
};
