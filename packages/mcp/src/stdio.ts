import type { DeepRecallEngineApi } from "@deeprecall/core";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer, type McpServerOptions } from "./server.ts";

export interface RunStdioOptions extends McpServerOptions {
  /** Stream to read requests from. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream & { pause(): unknown };
  /** Stream to write responses to. Default `process.stdout`. Nothing else may write to it. */
  stdout?: NodeJS.WritableStream;
  /** Close the engine when the session ends (stdin closes or `close()` is called). Default false. */
  closeEngine?: boolean;
}

export interface StdioSession {
  server: McpServer;
  /** Resolves once the session has ended and everything is closed. */
  closed: Promise<void>;
  /** Ends the session. */
  close(): Promise<void>;
}

/**
 * Serves DeepRecall over MCP's stdio transport (what `deeprecall mcp` runs). Resolves once the
 * server is listening; the session ends when stdin closes or `close()` is called.
 * stdout carries the protocol, so log to stderr only.
 */
export async function runStdio(
  engine: DeepRecallEngineApi,
  options: RunStdioOptions = {},
): Promise<StdioSession> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const server = createMcpServer(engine, options);
  const transport = new StdioServerTransport(stdin as never, stdout as never);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stdin.off("end", onEnd);
      stdin.off("close", onEnd);
      await server.close().catch(() => {});
      if (options.closeEngine) await engine.close().catch(() => {});
      resolveClosed();
    })();
    return closing;
  };
  const onEnd = () => void close();
  stdin.once("end", onEnd);
  stdin.once("close", onEnd);
  server.server.onclose = () => void close();

  await server.connect(transport);
  return { server, closed, close };
}
