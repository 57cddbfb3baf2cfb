import { skipOrFailForMissing } from "@deeprecall/test-utils";
import type { TestProject } from "vitest/node";
import { chromaBinaryMissing, startChroma } from "./chroma-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the Chroma server the tests use ("" when there is none and they are skipped). */
    chromaUrl: string;
    /**
     * "" when a Chroma server runs; otherwise the suffix for the names of the suites that need one,
     * saying what to install. Those suites are skipped, outside CI only.
     */
    chromaSkip: string;
  }
}

/**
 * Provides a real Chroma server to every test file: `CHROMA_URL` when set, otherwise a
 * `chroma run` started here on a free port with a temporary directory (stopped at teardown).
 * Without a Chroma binary, the suites that need a server are skipped with instructions, and the
 * others (filters, names, scores) still run; under CI=true a missing binary fails the run here.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.CHROMA_URL;
  if (external) {
    project.provide("chromaUrl", external);
    project.provide("chromaSkip", "");
    return undefined;
  }
  const missing = chromaBinaryMissing();
  if (missing) {
    project.provide("chromaUrl", "");
    project.provide("chromaSkip", skipOrFailForMissing(missing));
    return undefined;
  }
  const server = await startChroma();
  project.provide("chromaUrl", server.url);
  project.provide("chromaSkip", "");
  return () => server.stop();
}
