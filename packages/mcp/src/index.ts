export { type McpHttpOptions, mcpFetchHandler, mcpHttpHandler } from "./http.ts";
export { progressLine } from "./progress.ts";
export { createMcpServer, type McpServerOptions, type McpToolName } from "./server.ts";
export { type RunStdioOptions, runStdio, type StdioSession } from "./stdio.ts";
