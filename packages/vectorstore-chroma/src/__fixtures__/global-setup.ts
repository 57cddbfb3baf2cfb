import type { TestProject } from "vitest/node";
import { startChroma } from "./chroma-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the Chroma server the tests use. */
    chromaUrl: string;
  }
}

/**
 * Provides a real Chroma server to every test file: `CHROMA_URL` when set, otherwise a
 * `chroma run` started here on a free port with a temporary directory (stopped at teardown).
 * A missing binary is always a failure, with instructions, never a silent skip.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.CHROMA_URL;
  if (external) {
    project.provide("chromaUrl", external);
    return undefined;
  }
  const server = await startChroma();
  project.provide("chromaUrl", server.url);
  return () => server.stop();
}
