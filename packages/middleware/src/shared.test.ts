import { connect } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientAddress, isExemptPath, requestHeader } from "./shared.ts";

/** The address clientAddress reads for a request with this X-Forwarded-For, from socket 10.0.0.1. */
async function addressOf(trusted: number, xff?: string): Promise<string | undefined> {
  const app = new Hono();
  app.get("/", (c) => c.text(clientAddress(c, trusted) ?? "none"));
  const env = { incoming: { socket: { remoteAddress: "10.0.0.1" } } };
  const res = await app.request("/", { headers: xff === undefined ? {} : { "x-forwarded-for": xff } }, env);
  return res.text();
}

describe("clientAddress", () => {
  it("is the socket's address unless proxies are trusted", async () => {
    expect(await addressOf(0, "1.1.1.1")).toBe("10.0.0.1");
    expect(await addressOf(1)).toBe("10.0.0.1");
    expect(await addressOf(1, " , ")).toBe("10.0.0.1");
  });

  it("counts trusted proxies from the right; what the client wrote on the left is not trusted", async () => {
    expect(await addressOf(1, "6.6.6.6, 203.0.113.7")).toBe("203.0.113.7");
    expect(await addressOf(2, "6.6.6.6, 203.0.113.7, 10.1.1.1")).toBe("203.0.113.7");
    expect(await addressOf(3, "203.0.113.7")).toBe("203.0.113.7");
    expect(await addressOf(1, "2001:db8::1")).toBe("2001:db8::1");
  });
});

describe("requestHeader", () => {
  const NAMES = ["authorization", "x-custom", "x-request-id", "content-type", "absent"];
  const echo = () => {
    const app = new Hono();
    app.get("/", (c) => c.json(Object.fromEntries(NAMES.map((n) => [n, requestHeader(c, n) ?? null]))));
    return app;
  };

  it("reads Node's parsed headers under @hono/node-server (Node's rules for repeated headers)", async () => {
    const server = serve({ fetch: echo().fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let out = "";
        socket.on("data", (d) => (out += d));
        socket.on("end", () => resolve(out));
        socket.on("error", reject);
        socket.write(
          "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer first\r\nAuthorization: Bearer second\r\n" +
            "X-Custom: a\r\nX-Custom: b\r\nX-Request-Id: abc\r\nConnection: close\r\n\r\n",
        );
      });
      expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4))).toEqual({
        authorization: "Bearer first",
        "x-custom": "a, b",
        "x-request-id": "abc",
        "content-type": null,
        absent: null,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reads the fetch Request's headers on other runtimes", async () => {
    const res = await echo().request("/", { headers: { "X-Custom": "z", "Content-Type": "text/plain" } });
    expect(await res.json()).toEqual({
      authorization: null,
      "x-custom": "z",
      "x-request-id": null,
      "content-type": "text/plain",
      absent: null,
    });
  });
});

describe("isExemptPath", () => {
  const exempt = ["/health", "/docs", "/static/"];
  it.each([
    ["/health", true],
    ["/health/", true],
    ["/health/live", true],
    ["/healthz", false],
    ["/docs/index.html", true],
    ["/documents", false],
    ["/static/app.js", true],
    ["/static", false],
    ["/v1/chat/completions", false],
    ["/", false],
  ])("%s → %s", (path, expected) => {
    expect(isExemptPath(path, exempt)).toBe(expected);
  });
});
