import { RedisServerProcess } from "@deeprecall/test-utils";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One redis-server for the whole run; tests isolate themselves with their own key prefixes. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await RedisServerProcess.start();
  project.provide("redisUrl", server.url);
  return () => server.stop();
}
