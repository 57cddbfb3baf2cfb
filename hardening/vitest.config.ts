import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.ts";

// The fast part of the suite (`pnpm test`): everything except *.stress.test.ts.
export default defineConfig({
  ...sharedTestConfig,
  test: { ...sharedTestConfig.test, include: ["src/**/*.test.ts"], exclude: ["src/**/*.stress.test.ts"] },
});
