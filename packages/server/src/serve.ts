import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { OpenStreams, type ShutdownOptions, shutdownServer, withOpenStreams } from "./shutdown.ts";

export type { ShutdownOptions } from "./shutdown.ts";

export interface StartServerOptions {
  /** Anything with a `fetch(request)` handler, e.g. the app from `createApp`. */
  app: { fetch: Parameters<typeof serve>[0]["fetch"] };
  /** Interface to bind. Default "127.0.0.1". */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
}

export interface RunningServer {
  /** The port actually bound. */
  port: number;
  host: string;
  /** Base URL, e.g. "http://127.0.0.1:8000". */
  url: string;
  /** The Node HTTP server. */
  server: Server;
  /**
   * Graceful shutdown: stops accepting connections and lets in-flight requests run for
   * `gracePeriodMs`. Streams still open 1 s before it ends (at once when it is shorter) get a
   * proper ending — an OpenAI error `server_shutting_down` then `[DONE]`; for the Responses API
   * `error` and `response.failed` — and their runs are aborted; whatever is still open when it
   * is over is cut. Resolves once the server is closed; later calls return the same promise.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** `shutdown({ gracePeriodMs: 0 })`: open streams get their ending, then every connection is closed. */
  close(): Promise<void>;
}

/**
 * Serves an app over Node's HTTP server via `@hono/node-server`, with the graceful shutdown above
 * (the CLI's `deeprecall serve` shuts down through it too).
 */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const streams = new OpenStreams();
  return new Promise((resolve, reject) => {
    // The adapter's env (the request's socket) reaches the app: the failed-auth throttle and the
    // rate limiter key clients by address.
    const fetch = withOpenStreams(streams, options.app.fetch);
    const server = serve({ fetch, hostname: host, port: options.port ?? 0 }, (info: AddressInfo) => {
      server.off("error", reject);
      const urlHost =
        info.family === "IPv6" || info.address.includes(":") ? `[${info.address}]` : info.address;
      let stopping: Promise<void> | undefined;
      const shutdown = (shutdownOptions?: ShutdownOptions) => {
        stopping ??= shutdownServer(server as Server, streams, shutdownOptions);
        return stopping;
      };
      resolve({
        port: info.port,
        host: info.address,
        url: `http://${urlHost}:${info.port}`,
        server: server as Server,
        shutdown,
        close: () => shutdown({ gracePeriodMs: 0 }),
      });
    });
    server.once("error", reject);
  });
}
