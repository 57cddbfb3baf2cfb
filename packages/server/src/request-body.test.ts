import { connect } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError } from "./errors.ts";
import { bodyLimits, jsonBodyParser } from "./request-body.ts";
import { type RunningServer, startServer } from "./serve.ts";

const LIMIT = 64;
const Schema = z.object({ name: z.string().min(1), tags: z.array(z.string()).optional() });

/** Errors the tiny app's routes threw that were not ApiErrors (e.g. a client that went away). */
const otherErrors: unknown[] = [];
/** How many requests reached /echo's handler (so a test can wait until the body is being read). */
let echoStarted = 0;

/** A tiny app with the same limit and parser as createApp's JSON routes; echoes the parsed body. */
function app() {
  const parse = jsonBodyParser(Schema, LIMIT);
  const hono = new Hono();
  hono.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.toBody(), error.status);
    otherErrors.push(error);
    return c.json({ error: { message: String(error) } }, 500);
  });
  hono.use(bodyLimits(LIMIT, 1024, "/upload"));
  hono.post("/echo", async (c) => {
    echoStarted++;
    return c.json({ body: await parse(c) });
  });
  return hono;
}

type Reply = {
  status: number;
  json: { body?: unknown; error?: { code: string; param?: string } };
};

/**
 * POSTs raw bytes over a raw socket: the whole request in one write (so it reaches the server
 * whole, as small requests do); `chunked`, the headers and then the body in two chunks 20 ms
 * apart (a body still arriving when the route reads it); `split`, with its `Content-Length`
 * but the body's first 5 bytes and the rest 20 ms apart. Fetch would neither send invalid UTF-8
 * nor control the packets.
 */
function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = { "content-type": "application/json" },
  mode: "whole" | "chunked" | "split" = "whole",
): Promise<Reply> {
  const chunked = mode === "chunked";
  const { port } = new URL(url);
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const lines = Object.entries({
    ...headers,
    ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(bytes.length) }),
    connection: "close",
  }).map(([k, v]) => `${k}: ${v}\r\n`);
  const head = Buffer.from(`POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines.join("")}\r\n`);
  const chunk = (b: Buffer) =>
    Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let raw = "";
    socket.on("data", (d) => (raw += d));
    socket.on("error", reject);
    socket.on("end", () => {
      const [top, ...rest] = raw.split("\r\n\r\n");
      resolve({ status: Number(top!.slice(9, 12)), json: JSON.parse(rest.join("\r\n\r\n")) });
    });
    if (mode === "whole") {
      socket.write(Buffer.concat([head, bytes]));
      return;
    }
    if (mode === "split") {
      socket.write(Buffer.concat([head, bytes.subarray(0, 5)]));
      setTimeout(() => socket.write(bytes.subarray(5)), 20);
      return;
    }
    socket.write(Buffer.concat([head, chunk(bytes.subarray(0, 5))]));
    setTimeout(() => socket.write(Buffer.concat([chunk(bytes.subarray(5)), Buffer.from("0\r\n\r\n")])), 20);
  });
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ app: app() });
});
afterAll(() => server.close());

describe("jsonBodyParser under @hono/node-server", () => {
  it("reads a body that arrives whole, and validates it", async () => {
    const res = await post(server.url, JSON.stringify({ name: "a", tags: ["x"] }));
    expect(res).toEqual({ status: 200, json: { body: { name: "a", tags: ["x"] } } });
  });

  it("reads a body that is still arriving (chunked), with the same result", async () => {
    const res = await post(server.url, JSON.stringify({ name: "chunked" }), {}, "chunked");
    expect(res).toEqual({ status: 200, json: { body: { name: "chunked" } } });
  });

  it("reads a body with a declared length that arrives in pieces, and refuses invalid UTF-8 in it", async () => {
    const res = await post(
      server.url,
      JSON.stringify({ name: "split", tags: ["a", "b"] }),
      undefined,
      "split",
    );
    expect(res).toEqual({ status: 200, json: { body: { name: "split", tags: ["a", "b"] } } });
    const bad = await post(server.url, Buffer.from('{"name":"\xff"}', "latin1"), undefined, "split");
    expect([bad.status, bad.json.error?.code]).toEqual([400, "invalid_encoding"]);
  });

  it("stops reading when the client goes away mid-body: an AbortError, no hang", async () => {
    const seen = otherErrors.length;
    const started = echoStarted;
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    socket.write('POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 40\r\n\r\n{"name":');
    // Gone only once the route is reading the body (a fixed sleep could end before it starts).
    await expect.poll(() => echoStarted, { timeout: 10_000 }).toBe(started + 1);
    socket.destroy();
    await expect.poll(() => otherErrors.length, { timeout: 10_000 }).toBe(seen + 1);
    expect((otherErrors[seen] as Error).name).toBe("AbortError");
  });

  it("refuses a declared length over the limit before reading the body, without bodyLimits too", async () => {
    const parse = jsonBodyParser(Schema, LIMIT);
    const bare = new Hono();
    bare.onError((error, c) => c.json((error as ApiError).toBody(), (error as ApiError).status));
    bare.post("/echo", async (c) => c.json({ body: await parse(c) }));
    const running = await startServer({ app: bare });
    try {
      const { port } = new URL(running.url);
      const socket = connect(Number(port), "127.0.0.1");
      // Declares far more than it sends: only a check of the header can answer now.
      socket.write(`POST /echo HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${LIMIT * 1000}\r\n\r\n{"na`);
      const head = await new Promise<string>((resolve) => socket.once("data", (d) => resolve(String(d))));
      socket.destroy();
      expect(head.slice(0, 12)).toBe("HTTP/1.1 413");
    } finally {
      await running.close();
    }
  });

  it("parses JSON whatever the content type says (curl -d)", async () => {
    const res = await post(server.url, '{"name":"form"}', {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.json.body).toEqual({ name: "form" });
  });

  it.each([
    [
      "invalid UTF-8",
      Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      400,
      "invalid_encoding",
    ],
    ["malformed JSON", '{"name": ', 400, "invalid_json"],
    ["an empty body", "", 400, "invalid_json"],
    ["a schema violation", '{"name": ""}', 400, "string_below_min_length"],
    [
      "a declared length over the limit",
      JSON.stringify({ name: "x".repeat(LIMIT) }),
      413,
      "request_too_large",
    ],
  ] as const)("refuses %s", async (_, body, status, code) => {
    const res = await post(server.url, body as Buffer | string);
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
  });

  it("refuses a chunked body over the limit, and invalid UTF-8 that arrives chunked", async () => {
    const big = await post(server.url, JSON.stringify({ name: "x".repeat(LIMIT) }), {}, "chunked");
    expect([big.status, big.json.error?.code]).toEqual([413, "request_too_large"]);
    const bad = await post(
      server.url,
      Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0xc3, 0x28, 0x7d]),
      {},
      "chunked",
    );
    expect([bad.status, bad.json.error?.code]).toEqual([400, "invalid_encoding"]);
  });

  it("undoes a gzip, deflate or br Content-Encoding; refuses others (415), corrupt data (400) and bombs (413)", async () => {
    const json = '{"name":"zipped"}';
    const encoded: Array<[string, Buffer, "whole" | "chunked"]> = [
      ["gzip", gzipSync(json), "whole"],
      ["x-gzip", gzipSync(json), "chunked"],
      ["deflate", deflateSync(json), "whole"],
      ["deflate", deflateRawSync(json), "whole"],
      ["br", brotliCompressSync(json), "chunked"],
      ["gzip, br", brotliCompressSync(gzipSync(json)), "whole"],
      ["identity", Buffer.from(json), "whole"],
    ];
    for (const [encoding, body, mode] of encoded) {
      const res = await post(
        server.url,
        body,
        { "content-type": "application/json", "content-encoding": encoding },
        mode,
      );
      expect([encoding, res.status, res.json.body]).toEqual([encoding, 200, { name: "zipped" }]);
    }
    const headers = (encoding: string) => ({
      "content-type": "application/json",
      "content-encoding": encoding,
    });
    const compress = await post(server.url, json, headers("compress"));
    expect([compress.status, compress.json.error?.code]).toEqual([415, "unsupported_content_encoding"]);
    const corrupt = await post(server.url, Buffer.from("not gzip at all"), headers("gzip"));
    expect([corrupt.status, corrupt.json.error?.code]).toEqual([400, "invalid_encoding"]);
    // 40 bytes on the wire, 10,000 once inflated: over the 64-byte limit.
    const bomb = gzipSync(`{"name":"${"a".repeat(10_000)}"}`);
    expect(bomb.length).toBeLessThan(LIMIT);
    const inflated = await post(server.url, bomb, headers("gzip"));
    expect([inflated.status, inflated.json.error?.code]).toEqual([413, "request_too_large"]);
  });

  it("refuses multipart with 415", async () => {
    const res = await post(server.url, "--b\r\n\r\nx\r\n--b--", {
      "content-type": "multipart/form-data; boundary=b",
    });
    expect([res.status, res.json.error?.code]).toEqual([415, "unsupported_media_type"]);
  });
});

describe("jsonBodyParser on other runtimes (a fetch Request, no IncomingMessage)", () => {
  it("reads the body through the request", async () => {
    const res = await app().request("/echo", { method: "POST", body: '{"name":"fetch"}' });
    expect(await res.json()).toEqual({ body: { name: "fetch" } });
  });

  it("still refuses invalid UTF-8", async () => {
    const res = await app().request("/echo", { method: "POST", body: new Uint8Array([0x22, 0xff, 0x22]) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_encoding");
  });
});
