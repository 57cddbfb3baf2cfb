import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { clientAddress } from "./shared.ts";

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
