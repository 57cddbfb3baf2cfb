import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.ts";

// The heavy part (`pnpm test:stress`): the 60 s fleet load run and the long fuzz.
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ["src/**/*.stress.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
