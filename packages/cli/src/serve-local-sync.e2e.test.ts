import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliArgs, runCli, type ServeProcess, startServe } from "./testing/cli-process.ts";
import { type FakeLlm, startFakeLlm } from "./testing/fake-llm.ts";

// Issue 12's folders that stay in sync on the default embedded local store, with the server left
// running. `deeprecall serve` holds the store's lock, so `ingest`, `delete` and `status` used to
// exit 1 ("locked by process N"); now they find the server's advert in the persist directory and
// go through its HTTP API, and what the server's search, documents and models return follows.

const KEY = "sk-serve-local-sync-secret";

let root: string;
let llm: FakeLlm;
let server: ServeProcess | undefined;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-serve-local-sync-"));
  llm = await startFakeLlm();
}, 60_000);

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await llm?.close();
  rmSync(root, { recursive: true, force: true });
});

function put(dir: string, name: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

function setup(name: string) {
  const cwd = path.join(root, name);
  const wiki = path.join(cwd, "wiki");
  const contracts = path.join(cwd, "contracts");
  put(wiki, "cannon.md", "The orbital cannon is serviced every Tuesday by the platform team.");
  put(wiki, "lunch.md", "Lunch in the wiki office is served at noon.");
  put(contracts, "acme.txt", "Acme contract: the orbital cannon lease is paid within 45 days.");
  const env: Record<string, string> = {
    DEEPRECALL_BACKEND: "openai-compatible",
    DEEPRECALL_BASE_URL: llm.baseUrl,
    DEEPRECALL_MODEL: "fake-model",
  };
  return { cwd, wiki, contracts, env };
}

/** The server's HTTP API, as a client with `key` (if any) sees it. */
function api(url: string, key?: string) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  };
  return {
    search: async (collection: string, query: string) => {
      const response = await fetch(`${url}/v1/search`, {
        method: "POST",
        headers,
        body: JSON.stringify({ query, collection, top_k: 10 }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Array<{ content: string }> };
      return body.data.map((hit) => hit.content).sort();
    },
    documents: async (collection: string) => {
      const response = await fetch(`${url}/v1/documents?collection=${collection}&limit=1000`, { headers });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        data: Array<{ content: string; metadata: { source: string } }>;
      };
      return body.data.map((d) => `${d.metadata.source}: ${d.content}`).sort();
    },
    counts: async () => {
      const response = await fetch(`${url}/v1/models`, { headers });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: Array<{ collection?: string; documents?: number }> };
      return Object.fromEntries(
        body.data.filter((m) => m.collection).map((m) => [m.collection, m.documents]),
      );
    },
  };
}

describe("ingest, delete and status under a running deeprecall serve (local store)", () => {
  it("go through the server: syncs, deletions and counts show in its search, documents and models", async () => {
    const { cwd, wiki, contracts, env } = setup("plain");
    const cli = async (...args: string[]) => {
      const run = await runCli(args, { cwd, env });
      expect(run.code, run.stderr).toBe(0);
      return run;
    };
    await cli("ingest", "--path", "wiki", "--collection", "wiki", "--sync");
    await cli("ingest", "--path", "contracts", "--collection", "contracts", "--sync");

    server = await startServe(["--port", "0"], { cwd, env });
    const http = api(server.url);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const ask = async (model: string, question: string) =>
      (await client.chat.completions.create({ model, messages: [{ role: "user", content: question }] }))
        .choices[0]?.message.content ?? "";

    // Both collections are served, and open (locked) once asked; answers (and cached searches) come first.
    expect(await http.counts()).toEqual({ deeprecall: 0, wiki: 2, contracts: 1 });
    expect(await ask("deeprecall/wiki", "When is the orbital cannon serviced?")).toContain("every Tuesday");
    expect(await ask("deeprecall/contracts", "When is the orbital cannon lease paid?")).toContain("45 days");
    expect(await http.search("wiki", "orbital cannon serviced")).toEqual([
      "The orbital cannon is serviced every Tuesday by the platform team.",
    ]);
    expect(await http.search("wiki", "lunch")).toEqual(["Lunch in the wiki office is served at noon."]);

    // Edit, delete and add, then sync while the server runs.
    put(wiki, "cannon.md", "The orbital cannon is now serviced every Friday by the ops team.");
    unlinkSync(path.join(wiki, "lunch.md"));
    put(wiki, "parking.md", "The parking garage opens at six for wiki staff.");
    const sync = await cli("ingest", "--path", "wiki", "--collection", "wiki", "--sync");
    expect(sync.stderr).toContain(`sending to the running server at ${server.url}`);
    expect(sync.stdout).toMatch(/\(1 added, 1 updated, 1 removed, 0 unchanged\)/);
    expect(sync.stdout).toMatch(/The store now holds 2 documents\./);

    expect(await http.search("wiki", "orbital cannon serviced")).toEqual([
      "The orbital cannon is now serviced every Friday by the ops team.",
    ]);
    expect(await http.search("wiki", "lunch")).toEqual([]);
    expect(await http.search("wiki", "parking garage")).toEqual([
      "The parking garage opens at six for wiki staff.",
    ]);
    expect(await http.documents("wiki")).toEqual([
      "wiki/cannon.md: The orbital cannon is now serviced every Friday by the ops team.",
      "wiki/parking.md: The parking garage opens at six for wiki staff.",
    ]);
    const answer = await ask("deeprecall/wiki", "When is the orbital cannon serviced?");
    expect(answer).toContain("every Friday");
    expect(answer).not.toContain("Tuesday");
    expect(await http.counts()).toEqual({ deeprecall: 0, wiki: 2, contracts: 1 });

    // A plain ingest (no --sync) of a new file in the other collection; nothing else changes.
    put(contracts, "globex.txt", "Globex contract: support hours are nine to five.");
    const plain = await cli("ingest", "--path", "contracts", "--collection", "contracts");
    expect(plain.stdout).toMatch(/\(1 added, 0 updated, 0 removed, 1 unchanged\)/);
    expect(await http.search("contracts", "Globex support hours")).toContain(
      "Globex contract: support hours are nine to five.",
    );
    // An unchanged sync writes nothing.
    const again = await cli("ingest", "--path", "wiki", "--collection", "wiki", "--sync");
    expect(again.stdout).toMatch(/\(0 added, 0 updated, 0 removed, 2 unchanged\)/);

    // delete --path and delete by id, through the server.
    const removed = await cli("delete", "--path", "wiki/parking.md", "--collection", "wiki");
    expect(removed.stdout).toMatch(/Removed 1 file \(1 chunk\); 1 document remains\./);
    expect(await http.search("wiki", "parking garage")).toEqual([]);
    expect(await http.documents("wiki")).toEqual([
      "wiki/cannon.md: The orbital cannon is now serviced every Friday by the ops team.",
    ]);
    const ids = (await (await fetch(`${server.url}/v1/documents?collection=contracts`)).json()) as {
      data: Array<{ id: string; metadata: { source: string } }>;
    };
    const globex = ids.data.filter((d) => d.metadata.source === "contracts/globex.txt").map((d) => d.id);
    expect(globex.length).toBeGreaterThan(0);
    const byId = await cli("delete", ...globex, "--collection", "contracts", "--json");
    expect(JSON.parse(byId.stdout)).toEqual({
      requested: globex.length,
      deleted: globex.length,
      remaining: 1,
    });
    expect(await http.counts()).toEqual({ deeprecall: 0, wiki: 1, contracts: 1 });

    // status lists the collections with their counts, from the server.
    const status = await cli("status", "--json");
    expect(status.stderr).toContain(`asking the running server at ${server.url}`);
    const store = (JSON.parse(status.stdout) as { store: Record<string, unknown> }).store;
    expect(store.reachable).toBe(true);
    expect(store.collections).toEqual([
      { name: "contracts", count: 1 },
      { name: "deeprecall", count: 0 },
      { name: "wiki", count: 1 },
    ]);
    // The model is the server's (DEEPRECALL_MODEL when it started), not this CLI's default.
    expect((JSON.parse(status.stdout) as { model: unknown }).model).toEqual({
      description: "fake-model",
      server: server.url,
      configured: true,
    });
    const plainStatus = await runCli(["status"], { cwd });
    expect(plainStatus.code, plainStatus.stderr).toBe(0);
    expect(plainStatus.stdout).toContain(`Model: fake-model, the server's at ${server.url}`);
    expect(plainStatus.stdout).not.toContain("no key");

    // query searches through the server too (it held the lock).
    const query = await cli("query", "When is the orbital cannon serviced?", "--collection", "wiki");
    expect(query.stderr).toContain(`searching through the running server at ${server.url}`);
    expect(query.stdout).toContain("every Friday");

    // A new collection made through the server is served at once.
    put(path.join(cwd, "notes"), "n.md", "Notes: the lighthouse keeper retires in spring.");
    await cli("ingest", "--path", "notes", "--collection", "notes", "--sync");
    expect(await http.counts()).toEqual({ deeprecall: 0, wiki: 1, contracts: 1, notes: 1 });
    expect(await ask("deeprecall/notes", "When does the lighthouse keeper retire?")).toContain("spring");

    // The advert goes with the server.
    const persistDir = path.join(cwd, ".deeprecall");
    expect(readdirSync(persistDir).filter((f) => /^serve-\d+\.json$/.test(f))).toHaveLength(1);
    expect(await server.stop()).toBe(0);
    server = undefined;
    expect(readdirSync(persistDir).filter((f) => /^serve-\d+\.json$/.test(f))).toHaveLength(0);
    // And the store, written only by the server, holds what it served.
    const after = await cli("status", "--json");
    expect(after.stderr).not.toContain("running server");
    expect((JSON.parse(after.stdout) as { store: { collections: unknown } }).store.collections).toEqual([
      { name: "contracts", count: 1 },
      { name: "deeprecall", count: 0 },
      { name: "notes", count: 1 },
      { name: "wiki", count: 1 },
    ]);
  }, 120_000);

  it("with --api-keys, send the CLI's key (never printed); without one, say what is missing", async () => {
    const { cwd, wiki, env } = setup("keys");
    const withKey = { ...env, DEEPRECALL_API_KEYS: KEY };
    server = await startServe(["--port", "0"], { cwd, env: withKey });
    const http = api(server.url, KEY);

    const first = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync"], {
      cwd,
      env: withKey,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`sending to the running server at ${server.url}`);
    expect(first.stdout).toMatch(/\(2 added, 0 updated, 0 removed, 0 unchanged\)/);
    expect(await http.counts()).toMatchObject({ wiki: 2 });

    put(wiki, "lunch.md", "Lunch in the wiki office is now served at one.");
    const synced = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync", "--json"], {
      cwd,
      env: withKey,
    });
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({
      added: 0,
      updated: 1,
      removed: 0,
      unchanged: 1,
      storeCount: 2,
    });
    expect(await http.search("wiki", "lunch served")).toContain(
      "Lunch in the wiki office is now served at one.",
    );
    expect(await http.search("wiki", "lunch served")).not.toContain(
      "Lunch in the wiki office is served at noon.",
    );

    const status = await runCli(["status"], { cwd, env: withKey });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/wiki\s+2 documents/);

    // The key from --api-keys works as well as from the environment.
    const byFlag = await runCli(
      ["delete", "--path", "wiki/lunch.md", "--collection", "wiki", "--api-keys", KEY],
      {
        cwd,
        env,
      },
    );
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(await http.counts()).toMatchObject({ wiki: 1 });

    const noKey = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync"], { cwd, env });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(
      /refused the request \(401\): [^\n]*\. It was started with --api-keys: [^\n]*--api-keys or DEEPRECALL_API_KEYS/,
    );
    for (const run of [first, synced, status, byFlag, noKey])
      expect(run.stdout + run.stderr).not.toContain(KEY);
  }, 120_000);

  it("a file larger than the server's 1 MiB body limit goes in several requests", async () => {
    const { cwd, env } = setup("large");
    const words = Array.from({ length: 60_000 }, (_, i) => `word${i % 997} filler text here.`).join(" ");
    put(path.join(cwd, "big"), "big.txt", `${words} The zeppelin hangar is unique.`);
    server = await startServe(["--port", "0"], { cwd, env });
    const run = await runCli(
      ["ingest", "--path", "big", "--collection", "big", "--sync", "--max-file-size", "10MB", "--json"],
      { cwd, env },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { chunks: number; storeCount: number };
    expect(summary.chunks).toBeGreaterThan(1000);
    expect(summary.storeCount).toBe(summary.chunks);
    expect((await api(server.url).search("big", "zeppelin hangar")).join(" ")).toContain("zeppelin hangar");
  }, 60_000);

  it("ingest --watch syncs through the server", async () => {
    const { cwd, wiki, env } = setup("watch");
    server = await startServe(["--port", "0"], { cwd, env });
    const http = api(server.url);
    // The deletion and the addition below must fall in one quiet period (one summary line):
    // with 200 ms, a stall of the test process between them on a busy machine could split them.
    const child = spawn(
      process.execPath,
      cliArgs(["ingest", "--path", "wiki", "--collection", "wiki", "--watch", "--debounce", "2000"]),
      { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const waitFor = async (pattern: RegExp, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${what}\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/Watching wiki for changes/, "watch banner");
      expect(output).toContain(`sending to the running server at ${server.url}`);
      unlinkSync(path.join(wiki, "lunch.md"));
      put(wiki, "parking.md", "The parking garage opens at six for wiki staff.");
      await waitFor(/\(1 added, 0 updated, 1 removed, 1 unchanged\)/, "sync after the changes");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(await http.documents("wiki")).toEqual([
      "wiki/cannon.md: The orbital cannon is serviced every Tuesday by the platform team.",
      "wiki/parking.md: The parking garage opens at six for wiki staff.",
    ]);
  }, 60_000);

  it("a server that does not answer leaves the lock error as it was", async () => {
    const { cwd, wiki, env } = setup("stopped");
    await runCli(["ingest", "--path", "wiki", "--collection", "wiki"], { cwd, env });
    server = await startServe(["--port", "0", "--collection", "wiki"], { cwd, env });
    const persistDir = path.join(cwd, ".deeprecall");
    expect(existsSync(path.join(persistDir, "wiki", "LOCK"))).toBe(true);
    put(wiki, "lunch.md", "Lunch is now served at one.");
    server.child.kill("SIGSTOP");
    try {
      const run = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync"], { cwd, env });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stderr).toMatch(
        /locked by process \d+.*Stop it first, or send documents to its POST \/v1\/documents/s,
      );
    } finally {
      server.child.kill("SIGCONT");
    }
  }, 60_000);
});
