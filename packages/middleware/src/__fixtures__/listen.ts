import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

/** Serves a Hono app on a free local port (test helper, not exported). */
export async function listen(app: {
  fetch: Parameters<typeof serve>[0]["fetch"];
}): Promise<{ url: string; close: () => Promise<void> }> {
  return await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
  });
}
