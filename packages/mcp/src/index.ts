/** One line of progress text per engine event (core's describeEngineEvent, shared by every adapter). */
export { describeEngineEvent as progressLine } from "@deeprecall/core";
export { type McpHttpOptions, mcpFetchHandler, mcpHttpHandler } from "./http.ts";
export { createMcpServer, type McpServerOptions, type McpToolName } from "./server.ts";
export { type RunStdioOptions, runStdio, type StdioSession } from "./stdio.ts";
