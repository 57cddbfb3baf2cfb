import { runStdio } from "@deeprecall/mcp";
import { composeEngine } from "../compose.ts";
import { type CommandContext, loadConfig } from "./common.ts";

/**
 * `deeprecall mcp`: the engine as an MCP server on stdin/stdout. Stdout carries the protocol,
 * so everything human-readable goes to stderr. Ends when the client closes stdin.
 */
export async function runMcp(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  const { config } = loadConfig(ctx, opts);
  const composition = await composeEngine(config, { throughServer: true, log: (line) => ctx.io.err(line) });
  try {
    const session = await runStdio(composition.engine, { closeEngine: false });
    ctx.io.err(
      `DeepRecall MCP server on stdio: ${composition.storeInfo.description}; ${composition.llm.configured ? composition.llm.description : `no model (${composition.llm.missingKeyVariable} is not set; only the search tool works)`}`,
    );
    await session.closed;
  } finally {
    await composition.close();
  }
}
