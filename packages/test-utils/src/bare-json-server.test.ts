import { afterEach, describe, expect, it } from "vitest";
import { type BareJsonServer, bareJsonServer } from "./bare-json-server.ts";

let running: BareJsonServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe("bareJsonServer", () => {
  it("answers the canned body to a JSON request, on the port the OS chose", async () => {
    running = await bareJsonServer(Buffer.from('{"answer":"canned"}'));
    expect(running.port).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${running.port}/v1/query`, {
      method: "POST",
      body: JSON.stringify({ query: "q" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ answer: "canned" });
  });

  it("parses the request like an endpoint: a body that is not JSON gets 400", async () => {
    running = await bareJsonServer(Buffer.from("{}"));
    const response = await fetch(`http://127.0.0.1:${running.port}/`, { method: "POST", body: "not json" });
    expect(response.status).toBe(400);
  });

  it("rejects when the port is taken", async () => {
    running = await bareJsonServer(Buffer.from("{}"));
    await expect(bareJsonServer(Buffer.from("{}"), running.port)).rejects.toThrow(/EADDRINUSE/);
  });
});
