import { createServer, type Server } from "node:http";

/** A running {@link bareJsonServer}. */
export interface BareJsonServer {
  /** The port it listens on (the OS's choice when asked for 0). */
  readonly port: number;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /** Stops listening and drops idle keep-alive connections. */
  close(): Promise<void>;
}

/**
 * The `node:http` floor a server benchmark compares against: it reads each request body and
 * `JSON.parse`s it, as a real endpoint would (400 when it is not JSON), then answers `body`, a
 * canned JSON response, and does nothing else. Whatever a real server costs above this floor is
 * its own. Keep-alive lasts 65 s, as behind a load balancer, so the load generator reuses
 * connections the way it does against the real server.
 */
export function bareJsonServer(body: Uint8Array, port = 0, host = "127.0.0.1"): Promise<BareJsonServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
