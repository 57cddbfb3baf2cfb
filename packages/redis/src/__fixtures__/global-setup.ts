import { RedisServerProcess, redisServerMissing, skipOrFailForMissing } from "@deeprecall/test-utils";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    /**
     * "" when redis-server runs; otherwise the suffix for the names of the suites that need it,
     * which are skipped (outside CI only: under CI a missing redis-server fails the run here).
     */
    redisSkip: string;
  }
}

/** One redis-server for the whole run; tests isolate themselves with their own key prefixes. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const missing = redisServerMissing();
  if (missing) {
    project.provide("redisUrl", "");
    project.provide("redisSkip", skipOrFailForMissing(missing));
    return undefined;
  }
  const server = await RedisServerProcess.start();
  project.provide("redisUrl", server.url);
  project.provide("redisSkip", "");
  return () => server.stop();
}
