import type { DeepRecallEngineApi } from "@deeprecall/core";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context } from "hono";
import { createMcpServer, type McpServerOptions } from "./server.ts";

export interface McpHttpOptions extends McpServerOptions {
  /**
   * Answer each POST with one JSON body instead of an SSE stream. Default false (SSE, which
   * also carries `ask`'s progress notifications).
   */
  jsonResponse?: boolean;
  /** Largest request body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * Handles one MCP Streamable HTTP request with a fresh server and transport (stateless mode:
 * no session ids, so it works unchanged behind a load balancer). The server closes when the
 * response is finished or the client goes away, which aborts any `ask` still running.
 */
export function mcpFetchHandler(
  engine: DeepRecallEngineApi,
  options: McpHttpOptions = {},
): (request: Request) => Promise<Response> {
  // Validate the engine once, at mount time, not on the first request.
  createMcpServer(engine, options);
  return async (request) => {
    if (request.method !== "POST") {
      // Stateless: there is no session to stream server-initiated messages on (GET) or to end (DELETE).
      return Response.json(
        {
          jsonrpc: "2.0",
          error: { code: -32000, message: "Method not allowed: this MCP endpoint is stateless; use POST." },
          id: null,
        },
        { status: 405, headers: { allow: "POST" } },
      );
    }
    const server = createMcpServer(engine, options);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: options.jsonResponse ?? false,
      maxRequestBodySize: options.maxBodyBytes ?? 1024 * 1024,
    });
    await server.connect(transport);
    let response: Response;
    try {
      response = await transport.handleRequest(request);
    } catch (error) {
      await server.close().catch(() => {});
      throw error;
    }
    const close = () => void server.close().catch(() => {});
    if (!response.body) {
      close();
      return response;
    }
    // Close the per-request server when the body is done or cancelled (client disconnect).
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          controller.error(error);
          close();
        }
      },
      async cancel(reason) {
        close();
        await reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * A Hono handler for MCP over Streamable HTTP. Mount it on the app that already has your auth:
 * `app.all("/mcp", mcpHttpHandler(engine))`.
 */
export function mcpHttpHandler(engine: DeepRecallEngineApi, options: McpHttpOptions = {}) {
  const handle = mcpFetchHandler(engine, options);
  return (c: Context): Promise<Response> => handle(c.req.raw);
}
