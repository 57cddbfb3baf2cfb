import { createServer } from "node:net";

/**
 * A TCP port that was free on `host` a moment ago: binds port 0, reads the port the OS chose, and
 * releases it. Another process can take it before the caller binds it, which is fine for tests
 * and benchmarks on one machine, not for production.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
