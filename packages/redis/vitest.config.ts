import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, globalSetup: ["./src/__fixtures__/global-setup.ts"] },
});
