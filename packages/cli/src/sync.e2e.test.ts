import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliArgs, runCli } from "./testing/cli-process.ts";

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-sync-e2e-"));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function workdir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function put(dir: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

/** What a collection holds, read by opening the store after the CLI exited: "source: text" lines. */
async function collectionContents(cwd: string, collection: string): Promise<string[]> {
  const store = new LocalStore({ directory: path.join(cwd, ".deeprecall"), collection });
  try {
    const { documents } = await store.list({ limit: 1000 });
    return documents.map((d) => `${d.metadata.source}: ${d.content}`).sort();
  } finally {
    await store.close();
  }
}

async function search(cwd: string, collection: string, query: string): Promise<string[]> {
  const store = new LocalStore({ directory: path.join(cwd, ".deeprecall"), collection });
  try {
    return (await store.search(query, { topK: 10 })).map((r) => r.content);
  } finally {
    await store.close();
  }
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe("deeprecall ingest --sync: two folders, two collections", () => {
  it("ingests each folder into its collection, status lists both, and a sync follows edits, deletions and additions", async () => {
    const cwd = workdir("two");
    const wiki = path.join(cwd, "wiki");
    const contracts = path.join(cwd, "contracts");
    put(wiki, "intro.md", "The wiki explains the orbital cannon maintenance schedule.");
    put(wiki, "team.md", "The platform team owns the orbital cannon.");
    put(wiki, "old.md", "Deprecated page about the steam engine.");
    put(contracts, "acme.txt", "Acme contract: payment due within 45 days.");

    const first = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync", "--json"], {
      cwd,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(json(first.stdout)).toMatchObject({
      files: 3,
      added: 3,
      updated: 0,
      removed: 0,
      unchanged: 0,
      storeCount: 3,
    });
    const second = await runCli(["ingest", "--path", "contracts", "--collection", "contracts", "--sync"], {
      cwd,
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Ingested 1 of 1 file \(1 added, 0 updated, 0 removed, 0 unchanged\)/);

    const status = await runCli(["status", "--json"], { cwd });
    expect(status.code, status.stderr).toBe(0);
    expect((json(status.stdout).store as { collections: unknown }).collections).toEqual([
      { name: "contracts", count: 1 },
      { name: "deeprecall", count: 0 },
      { name: "wiki", count: 3 },
    ]);
    const human = await runCli(["status"], { cwd });
    expect(human.stdout).toMatch(
      /Collections \(3\):\n\s+contracts\s+1 document\n\s+deeprecall\s+0 documents\s+\(--collection\)\n\s+wiki\s+3 documents/,
    );
    // A collection that does not exist is not listed as if it did: status says so, and fails.
    const nope = await runCli(["status", "--collection", "nope"], { cwd });
    expect(nope.code).toBe(1);
    expect(nope.stdout).not.toMatch(/nope\s+0 documents/);
    expect(nope.stderr).toMatch(
      /^error: no collection "nope" in this store \(it has: contracts, (deeprecall, )?wiki\)/,
    );

    // delete --path without --collection: only the error, naming the collection the file is in.
    const wrong = await runCli(["delete", "--path", path.join(wiki, "team.md")], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toBe(
      `error: no ingested file at ${path.join(wiki, "team.md")} in collection deeprecall; it is in collection wiki: add --collection wiki\n`,
    );

    // Each collection answers only from its own documents.
    expect(await search(cwd, "contracts", "orbital cannon")).toEqual([]);
    expect(await search(cwd, "wiki", "payment contract")).toEqual([]);

    // Edit one, delete one, add one, leave one alone.
    put(wiki, "intro.md", "The wiki now explains the lunar elevator instead.");
    unlinkSync(path.join(wiki, "old.md"));
    put(wiki, "new.md", "A new page about the kitchen rota.");
    const sync = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync", "--json"], {
      cwd,
    });
    expect(sync.code, sync.stderr).toBe(0);
    expect(json(sync.stdout)).toMatchObject({
      files: 3,
      added: 1,
      updated: 1,
      removed: 1,
      unchanged: 1,
      storeCount: 3,
    });
    expect(sync.stderr).toMatch(/removed wiki\/old\.md: gone from disk/);
    expect(await collectionContents(cwd, "wiki")).toEqual([
      "wiki/intro.md: The wiki now explains the lunar elevator instead.",
      "wiki/new.md: A new page about the kitchen rota.",
      "wiki/team.md: The platform team owns the orbital cannon.",
    ]);
    expect(await search(cwd, "wiki", "steam engine")).toEqual([]);
    expect(await collectionContents(cwd, "contracts")).toEqual([
      "contracts/acme.txt: Acme contract: payment due within 45 days.",
    ]);

    // Nothing changed: nothing is read or written.
    const idle = await runCli(["ingest", "--path", "wiki", "--collection", "wiki", "--sync", "--json"], {
      cwd,
    });
    expect(json(idle.stdout)).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 3, chunks: 0 });
  });

  it("a file emptied on disk loses its chunks; without --sync a deleted file keeps them until delete --path", async () => {
    const cwd = workdir("empty");
    put(cwd, "docs/a.md", "Alpha text about aardvarks.");
    put(cwd, "docs/b.md", "Beta text about badgers.");
    put(cwd, "docs/sub/c.md", "Gamma text about camels.");
    expect((await runCli(["ingest", "--path", "docs"], { cwd })).code).toBe(0);
    writeFileSync(path.join(cwd, "docs/a.md"), "   \n");
    unlinkSync(path.join(cwd, "docs/b.md"));
    const run = await runCli(["ingest", "--path", "docs", "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout)).toMatchObject({ removed: 1, unchanged: 1, storeCount: 2 });
    expect(run.stderr).toMatch(/removed docs\/a\.md: no text/);
    expect(await search(cwd, "deeprecall", "aardvarks")).toEqual([]);
    expect(await search(cwd, "deeprecall", "badgers")).toEqual(["Beta text about badgers."]);

    const del = await runCli(["delete", "--path", "docs/b.md", "--json"], { cwd });
    expect(del.code, del.stderr).toBe(0);
    expect(json(del.stdout)).toEqual({
      paths: ["docs/b.md"],
      files: ["docs/b.md"],
      deleted: 1,
      remaining: 1,
    });
    const folder = await runCli(["delete", "--path", "docs/sub"], { cwd });
    expect(folder.stdout).toBe("Removed 1 file (1 chunk); 0 documents remain.\n");
    const none = await runCli(["delete", "--path", "docs/nothing.md"], { cwd });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/^error: no ingested file at docs\/nothing\.md in collection deeprecall\n$/);
  });

  it("follows symlinked files and folders once each, honours .gitignore, and takes --max-file-size with units", async () => {
    const cwd = workdir("links");
    put(cwd, "outside/shared.md", "Shared notes about symlinks.");
    put(cwd, "docs/own.md", "Own notes.");
    put(cwd, "docs/.gitignore", "private/\n");
    put(cwd, "docs/private/secret.md", "Secret notes.");
    put(cwd, "docs/big.md", "x".repeat(3000));
    symlinkSync(path.join(cwd, "outside"), path.join(cwd, "docs", "linked"));
    symlinkSync(path.join(cwd, "docs"), path.join(cwd, "docs", "loop"));
    const run = await runCli(["ingest", "--path", "docs", "--max-file-size", "2KB", "--json"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const summary = json(run.stdout);
    expect(summary).toMatchObject({ files: 3, added: 2, gitignored: 1, storeCount: 2 });
    expect(run.stderr).toMatch(/warning: skipped docs\/big\.md: too large \(2\.9 KiB > 2 KiB/);
    expect(await collectionContents(cwd, "deeprecall")).toEqual([
      "docs/linked/shared.md: Shared notes about symlinks.",
      "docs/own.md: Own notes.",
    ]);
    const bigger = await runCli(["ingest", "--path", "docs", "--max-file-size", "1 MiB", "--json"], { cwd });
    expect(json(bigger.stdout)).toMatchObject({ added: 1, unchanged: 2 });
    const bad = await runCli(["ingest", "--path", "docs", "--max-file-size", "2XB"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-file-size: expected a size .*2MB.*got "?2XB"?/);
  });
});

describe("deeprecall ingest --watch", () => {
  it("syncs again after changes (debounced) until stopped", async () => {
    const cwd = workdir("watch");
    put(cwd, "docs/a.md", "First version of a.");
    // The burst below must fall in one quiet period: with 200 ms, a stall of the test process
    // between two writes on a busy machine could split it into two syncs (other summary lines).
    const child = spawn(
      process.execPath,
      cliArgs(["ingest", "--path", "docs", "--watch", "--debounce", "2000"]),
      {
        cwd,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const waitFor = async (pattern: RegExp, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(stdout + stderr)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${what}\nstdout: ${stdout}\nstderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitFor(/Watching docs for changes/, "watch banner");
      expect(stdout).toMatch(/^Ingested 1 of 1 file \(1 added/);
      // A burst of writes becomes one sync.
      put(cwd, "docs/b.md", "B arrives.");
      put(cwd, "docs/a.md", "Second version of a.");
      put(cwd, "docs/a.md", "Third version of a.");
      await waitFor(/\(1 added, 1 updated, 0 removed, 0 unchanged\)/, "sync after the changes");
      unlinkSync(path.join(cwd, "docs/b.md"));
      await waitFor(/\(0 added, 0 updated, 1 removed, 1 unchanged\)/, "sync after the deletion");
      expect(stdout.match(/^Ingested/gm)).toHaveLength(3);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain("Stopped watching.");
    expect(await collectionContents(cwd, "deeprecall")).toEqual(["docs/a.md: Third version of a."]);
  });
});
