import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    // Starts a real Chroma server (or uses CHROMA_URL) for every test file.
    globalSetup: ["./src/__fixtures__/global-setup.ts"],
  },
});
