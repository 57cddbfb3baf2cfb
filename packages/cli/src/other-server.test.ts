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
    const timer = setTimeout(
      () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
      delayMs,
    );
    res.once("close", () => clearTimeout(timer));
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
/**
 * A probe time limit far above the 300 ms default (a test hook) where a test needs the answer:
 * a busy machine must not turn "the server answered" into "nothing answered in time".
 */
const PATIENT = { DEEPRECALL_TEST_SERVER_PROBE_MS: "10000" };

describe("otherServerWarning", () => {
  it("warns when a DeepRecall server answers on the port but does not advertise this store", async () => {
    const cfg = { ...config(await serveHealth(HEALTH)), apiKeys: ["sk-not-for-strangers"] };
    const warning = await otherServerWarning(cfg, PATIENT);
    // /health is public and whatever answers there may not be ours: no key goes out.
    expect(authorizations).toEqual([undefined]);
    expect(warning).toMatch(/^warning: a deeprecall server answers at http:\/\/127\.0\.0\.1:\d+, /);
    expect(warning).toContain(`writes to the local store in ${cfg.persistDir}`);
    expect(warning).toContain("--persist-dir");
    expect(warning).not.toContain("\n");
  });

  it("names the server's store when its health says where it is", async () => {
    const cfg = config(await serveHealth({ ...HEALTH, persist_dir: "/srv/app/.deeprecall" }));
    const warning = await otherServerWarning(cfg, PATIENT);
    expect(warning).toContain(`local store in ${cfg.persistDir} and its store is /srv/app/.deeprecall`);
    expect(warning).toContain("--persist-dir /srv/app/.deeprecall.");
  });

  it("says nothing when the server holds this store, advertises in it, or is not DeepRecall", async () => {
    const port = await serveHealth({ ...HEALTH, persist_dir: path.join(root, `store${n}`) });
    expect(await otherServerWarning(config(port), PATIENT)).toBeUndefined();
    const advertised = config(port);
    writeFileSync(
      path.join(advertised.persistDir, `serve-${process.ppid}.json`),
      JSON.stringify({ url: "http://127.0.0.1:1", pid: process.ppid, hostname: hostname(), collection: "x" }),
    );
    expect(await otherServerWarning(advertised, PATIENT)).toBeUndefined();
    await new Promise((resolve) => server!.close(resolve));
    expect(
      await otherServerWarning(config(await serveHealth({ hello: "not deeprecall" })), PATIENT),
    ).toBeUndefined();
    expect(await otherServerWarning({ ...config(port), vectorstore: "chroma" }, PATIENT)).toBeUndefined();
  });

  it("gives up within about 300 ms on a slow server, and at once when nothing listens", async () => {
    // The default limit, no test hook. The bound leaves a busy machine 1.2 s over the 300 ms
    // and still fails a probe that waits for the server (5 s) or for fetchServerHealth's 2 s default.
    const slow = config(await serveHealth(HEALTH, 5000));
    let started = performance.now();
    expect(await otherServerWarning(slow)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1500);
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
