import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

export default defineConfig({
  ...sharedTestConfig,
  // Builds dist/ first: the end-to-end tests run the CLI as users do.
  test: { ...sharedTestConfig.test, globalSetup: ["./vitest.global-setup.ts"] },
});
