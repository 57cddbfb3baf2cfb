import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { DeepRecallConfig } from "./config/index.ts";
import { otherServerWarning } from "./other-server.ts";

const root = mkdtempSync(path.join(tmpdir(), "deeprecall-other-server-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Authorization headers the health servers received: the probe never sends a key. */
const authorizations: Array<string | undefined> = [];

/** A server answering GET /health with `body` (after `delayMs`); resolves to its port. */
async function serveHealth(body: unknown, delayMs = 0): Promise<number> {
  server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    setTimeout(
      () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
      delayMs,
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

let n = 0;
const config = (port: number): DeepRecallConfig => {
  const persistDir = path.join(root, `store${n++}`);
  mkdirSync(persistDir);
  return { vectorstore: "local", persistDir, host: "0.0.0.0", port } as DeepRecallConfig;
};
const HEALTH = { status: "ok", model: "deeprecall", engine_model: "gpt-4o-mini", vector_store: "local" };

describe("otherServerWarning", () => {
  it("warns when a DeepRecall server answers on the port but does not advertise this store", async () => {
    const cfg = { ...config(await serveHealth(HEALTH)), apiKeys: ["sk-not-for-strangers"] };
    const warning = await otherServerWarning(cfg);
    // /health is public and whatever answers there may not be ours: no key goes out.
    expect(authorizations).toEqual([undefined]);
    expect(warning).toMatch(/^warning: a deeprecall server answers at http:\/\/127\.0\.0\.1:\d+, /);
    expect(warning).toContain(`writes to the local store in ${cfg.persistDir}`);
    expect(warning).toContain("--persist-dir");
    expect(warning).not.toContain("\n");
  });

  it("names the server's store when its health says where it is", async () => {
    const cfg = config(await serveHealth({ ...HEALTH, persist_dir: "/srv/app/.deeprecall" }));
    const warning = await otherServerWarning(cfg);
    expect(warning).toContain(`local store in ${cfg.persistDir} and its store is /srv/app/.deeprecall`);
    expect(warning).toContain("--persist-dir /srv/app/.deeprecall.");
  });

  it("says nothing when the server holds this store, advertises in it, or is not DeepRecall", async () => {
    const port = await serveHealth({ ...HEALTH, persist_dir: path.join(root, `store${n}`) });
    expect(await otherServerWarning(config(port))).toBeUndefined();
    const advertised = config(port);
    writeFileSync(
      path.join(advertised.persistDir, `serve-${process.ppid}.json`),
      JSON.stringify({ url: "http://127.0.0.1:1", pid: process.ppid, hostname: hostname(), collection: "x" }),
    );
    expect(await otherServerWarning(advertised)).toBeUndefined();
    await new Promise((resolve) => server!.close(resolve));
    expect(await otherServerWarning(config(await serveHealth({ hello: "not deeprecall" })))).toBeUndefined();
    expect(await otherServerWarning({ ...config(port), vectorstore: "chroma" })).toBeUndefined();
  });

  it("gives up within about 300 ms on a slow server, and at once when nothing listens", async () => {
    const slow = config(await serveHealth(HEALTH, 2000));
    let started = performance.now();
    expect(await otherServerWarning(slow)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
    const port = (server!.address() as AddressInfo).port;
    await new Promise((resolve) => {
      server!.closeAllConnections();
      server!.close(resolve);
    });
    server = undefined;
    started = performance.now();
    expect(await otherServerWarning(config(port))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
