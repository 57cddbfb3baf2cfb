import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// Unit tests sit beside the app's pure modules (app/**), the browser end-to-end tests under src/e2e.
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ["src/**/*.test.ts", "app/**/*.test.ts"],
    // Builds dist/app when stale: the browser tests drive the built console.
    globalSetup: ["./src/e2e/global-setup.ts"],
  },
});
