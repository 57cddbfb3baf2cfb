import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

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
  /** Stops accepting connections, ends open ones (including streams) and resolves when closed. */
  close(): Promise<void>;
}

/** Serves an app over Node's HTTP server via `@hono/node-server`. */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: options.app.fetch, hostname: host, port: options.port ?? 0 },
      (info: AddressInfo) => {
        server.off("error", reject);
        const urlHost =
          info.family === "IPv6" || info.address.includes(":") ? `[${info.address}]` : info.address;
        resolve({
          port: info.port,
          host: info.address,
          url: `http://${urlHost}:${info.port}`,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
