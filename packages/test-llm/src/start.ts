import { type LoadModelOptions, LocalChatModel } from "./local-model.ts";
import { findTestModel } from "./model-file.ts";
import { startTestLlmServer, type TestLlmServer } from "./openai-server.ts";

export interface RunningTestLlm extends TestLlmServer {
  model: LocalChatModel;
}

/** `DEEPRECALL_TEST_LLM_THREADS` as a positive integer, or undefined when unset. Throws on a bad value. */
export function threadsFromEnv(env: Record<string, string | undefined> = process.env): number | undefined {
  const raw = env.DEEPRECALL_TEST_LLM_THREADS;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`DEEPRECALL_TEST_LLM_THREADS: expected a positive integer, got "${raw}"`);
  return n;
}

/**
 * Loads the test model and serves it on a free loopback port: what tests call.
 * `modelPath` defaults to {@link findTestModel}'s answer; throws when there is no model.
 * `threads`: the option, else `$DEEPRECALL_TEST_LLM_THREADS`, else `os.availableParallelism()`.
 * `close()` stops the server and frees the model.
 */
export async function startTestLlm(
  options: Partial<LoadModelOptions> & { host?: string; port?: number; modelId?: string } = {},
): Promise<RunningTestLlm> {
  const modelPath = options.modelPath ?? findTestModel().path;
  if (!modelPath) throw new Error(findTestModel().reason);
  const threads = options.threads ?? threadsFromEnv();
  const model = await LocalChatModel.load({ ...options, modelPath, ...(threads ? { threads } : {}) });
  try {
    const server = await startTestLlmServer({
      model,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.modelId !== undefined ? { modelId: options.modelId } : {}),
    });
    return {
      ...server,
      model,
      close: async () => {
        await server.close();
        await model.close();
      },
    };
  } catch (error) {
    await model.close();
    throw error;
  }
}
