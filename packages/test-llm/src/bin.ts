#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startTestLlm } from "./start.ts";

/**
 * deeprecall-test-llm [--model FILE.gguf] [--host 127.0.0.1] [--port 0] [--threads N]
 * Serves the test model as an OpenAI-compatible API until SIGINT/SIGTERM; prints the base URL.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "deeprecall-test-llm [--model FILE.gguf] [--host 127.0.0.1] [--port 0] [--threads N]\n" +
        "Serves a GGUF chat model (default: $DEEPRECALL_TEST_GGUF or .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf)\n" +
        "as POST /v1/chat/completions and GET /v1/models.\n",
    );
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port: expected 0-65535, got ${values.port}`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1))
    throw new Error(`--threads: expected a positive integer, got ${values.threads}`);
  const llm = await startTestLlm({
    host: values.host,
    port,
    ...(values.model ? { modelPath: values.model } : {}),
    ...(threads ? { threads } : {}),
  });
  process.stdout.write(`model ${llm.modelId} (${llm.model.threads} threads) listening on ${llm.baseUrl}\n`);
  const stop = () => {
    void llm.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
