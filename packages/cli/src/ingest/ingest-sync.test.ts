import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { VectorStore } from "@deeprecall/core";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectFiles, IngestManifest, ingestPaths, removePath } from "./index.ts";

let root: string;
let docs: string;
let stores: LocalStore[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "deeprecall-sync-"));
  docs = path.join(root, "docs");
  mkdirSync(docs);
});
afterEach(async () => {
  for (const store of stores) await store.close();
  stores = [];
  rmSync(root, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const file = path.join(docs, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  // An mtime in the past: the run trusts it (files written within 2 s are always hashed).
  const past = new Date(Date.now() - 60_000 - Math.random() * 1000);
  utimesSync(file, past, past);
  return file;
};
const openStore = () => {
  const store = new LocalStore({ directory: path.join(root, "store"), collection: "c" });
  stores.push(store);
  return store;
};
const manifestPath = () => path.join(root, "store", "ingest", "local-c.json");
const run = (store: VectorStore, sync = true) =>
  ingestPaths(store, [docs], {
    chunkSize: 200,
    chunkOverlap: 0,
    maxFileSize: 100_000,
    manifest: IngestManifest.load(manifestPath()),
    collection: "c",
    sync,
    cwd: root,
  });
const contents = async (store: VectorStore) =>
  (await store.list!({ limit: 1000 })).documents.map((d) => `${d.metadata.source}: ${d.content}`).sort();

describe("ingestPaths keeps a collection in sync with a folder", () => {
  it("labels files outside cwd from their folder, but tracks them by absolute path whatever the cwd", async () => {
    const store = openStore();
    write("a.md", "Alpha notes about apples.");
    const elsewhere = path.join(root, "elsewhere");
    mkdirSync(elsewhere);
    const from = (cwd: string) =>
      ingestPaths(store, [docs], {
        chunkSize: 200,
        chunkOverlap: 0,
        maxFileSize: 100_000,
        manifest: IngestManifest.load(manifestPath()),
        collection: "c",
        cwd,
      });
    expect(await from(elsewhere)).toMatchObject({ added: 1 });
    expect(await contents(store)).toEqual(["docs/a.md: Alpha notes about apples."]);
    // The same files from another folder (as a store ingested before the labels changed): the
    // manifest and chunk ids know them, so nothing is written twice, and delete --path finds them.
    expect(await from(root)).toMatchObject({ unchanged: 1, added: 0, chunks: 0 });
    expect(await store.count()).toBe(1);
    const manifest = IngestManifest.load(manifestPath());
    expect(manifest.files()).toEqual([path.join(docs, "a.md")]);
    expect(await removePath(store, manifest, path.join(docs, "a.md"))).toMatchObject({ chunks: 1 });
    expect(await store.count()).toBe(0);
  });

  it("reports files in order, though a changed file is written after the unchanged ones behind it", async () => {
    const store = openStore();
    write("a.md", "Alpha notes about apples.");
    write("b.md", "Beta notes about bananas.");
    write("c.md", "Gamma notes about cherries.");
    await run(store);
    write("a.md", "Alpha notes, rewritten: now about apricots.");
    const seen: string[] = [];
    await ingestPaths(
      store,
      [docs],
      {
        chunkSize: 200,
        chunkOverlap: 0,
        maxFileSize: 100_000,
        manifest: IngestManifest.load(manifestPath()),
        collection: "c",
        cwd: root,
      },
      { onFile: ({ file, index, outcome }) => seen.push(`${index} ${path.basename(file)} ${outcome}`) },
    );
    expect(seen).toEqual(["0 a.md updated", "1 b.md unchanged", "2 c.md unchanged"]);
  });

  it("adds, skips unchanged, replaces changed, removes vanished and emptied files", async () => {
    const store = openStore();
    write("a.md", "Alpha notes about apples.");
    write("b.md", "Beta notes about bananas.");
    write("c.md", "Gamma notes about cherries.");
    write("d.md", "Delta notes about dates.");
    expect(await run(store)).toMatchObject({
      files: 4,
      added: 4,
      updated: 0,
      unchanged: 0,
      removed: 0,
      chunks: 4,
    });
    expect(await store.count()).toBe(4);

    const again = await run(store);
    expect(again).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: 4,
      removed: 0,
      chunks: 0,
      deletedChunks: 0,
    });

    write("a.md", "Alpha notes, rewritten: now about apricots.");
    unlinkSync(path.join(docs, "b.md"));
    write("c.md", "  \n\t ");
    write("e.md", "Epsilon notes about elderberries.");
    const changed = await run(store);
    expect(changed).toMatchObject({
      files: 4,
      added: 1,
      updated: 1,
      unchanged: 1,
      removed: 2,
      chunks: 2,
      deletedChunks: 3,
    });
    expect(changed.skipped).toEqual([{ file: path.join(docs, "c.md"), reason: "no text" }]);
    expect(await contents(store)).toEqual([
      "docs/a.md: Alpha notes, rewritten: now about apricots.",
      "docs/d.md: Delta notes about dates.",
      "docs/e.md: Epsilon notes about elderberries.",
    ]);
    expect((await store.search("apples bananas cherries", { topK: 10 })).map((r) => r.content)).toEqual([]);

    // A 0-byte file loses its chunks too.
    write("d.md", "");
    expect(await run(store)).toMatchObject({ removed: 1, deletedChunks: 1 });
    expect(await store.count()).toBe(2);
  });

  it("without sync, a vanished file keeps its chunks; removePath deletes a file's or a folder's chunks", async () => {
    const store = openStore();
    write("keep.md", "Kept notes.");
    write("sub/one.md", "First sub note.");
    write("sub/two.md", "Second sub note.");
    await run(store);
    unlinkSync(path.join(docs, "keep.md"));
    expect(await run(store, false)).toMatchObject({ removed: 0, unchanged: 2 });
    expect(await store.count()).toBe(3);

    const manifest = IngestManifest.load(manifestPath());
    expect(await removePath(store, manifest, path.join(docs, "sub"))).toEqual({
      files: [path.join(docs, "sub", "one.md"), path.join(docs, "sub", "two.md")],
      chunks: 2,
    });
    expect(await removePath(store, manifest, path.join(docs, "keep.md"))).toMatchObject({ chunks: 1 });
    expect(await store.count()).toBe(0);
    expect(IngestManifest.load(manifestPath()).size).toBe(0);
  });

  it("a touched but unchanged file is not written again; a same-size edit is noticed", async () => {
    const store = openStore();
    const file = write("a.md", "version one");
    await run(store);
    const now = new Date();
    utimesSync(file, now, now); // touched: the hash decides
    expect(await run(store)).toMatchObject({ unchanged: 1, chunks: 0 });
    writeFileSync(file, "version two"); // same size, fresh mtime
    expect(await run(store)).toMatchObject({ updated: 1, chunks: 1 });
    expect(await contents(store)).toEqual(["docs/a.md: version two"]);
  });

  it("an interrupted sync leaves each file with its old chunks or its new ones, and the next run finishes it", async () => {
    const store = openStore();
    write("a.md", "Old alpha text.");
    write("b.md", "Old beta text.");
    await run(store);
    write("a.md", "New alpha text.");
    write("b.md", "New beta text.");
    // The store fails when the sync deletes the old chunks: the new ones are written by then.
    const failing: VectorStore = {
      name: store.name,
      addDocuments: (input) => store.addDocuments(input),
      search: (q, o) => store.search(q, o),
      count: () => store.count(),
      list: (o) => store.list(o),
      delete: async () => {
        throw new Error("connection lost");
      },
    };
    await expect(run(failing)).rejects.toThrow("connection lost");
    // Both whole versions are there, never a mix of parts.
    expect(await contents(store)).toEqual([
      "docs/a.md: New alpha text.",
      "docs/a.md: Old alpha text.",
      "docs/b.md: New beta text.",
      "docs/b.md: Old beta text.",
    ]);
    expect(IngestManifest.load(manifestPath()).get(path.join(docs, "a.md"))?.pending).toHaveLength(1);
    // The next run reconciles.
    expect(await run(store)).toMatchObject({ updated: 2, deletedChunks: 2 });
    expect(await contents(store)).toEqual(["docs/a.md: New alpha text.", "docs/b.md: New beta text."]);
    expect(IngestManifest.load(manifestPath()).get(path.join(docs, "a.md"))?.pending).toBeUndefined();
  });

  it("a file edited again after an interrupted sync loses both older versions on the next run", async () => {
    const store = openStore();
    write("a.md", "Alpha one.");
    await run(store);
    const failing: VectorStore = {
      name: store.name,
      addDocuments: (input) => store.addDocuments(input),
      search: (q, o) => store.search(q, o),
      count: () => store.count(),
      list: (o) => store.list(o),
      delete: async () => {
        throw new Error("connection lost");
      },
    };
    // Interrupted twice, the file edited before each run: three versions are in the store.
    write("a.md", "Alpha two.");
    await expect(run(failing)).rejects.toThrow("connection lost");
    write("a.md", "Alpha three.");
    await expect(run(failing)).rejects.toThrow("connection lost");
    expect(await contents(store)).toEqual([
      "docs/a.md: Alpha one.",
      "docs/a.md: Alpha three.",
      "docs/a.md: Alpha two.",
    ]);
    // The second version's ids were once forgotten (a new pending list replaced the old one).
    write("a.md", "Alpha four.");
    expect(await run(store)).toMatchObject({ updated: 1, deletedChunks: 3 });
    expect(await contents(store)).toEqual(["docs/a.md: Alpha four."]);
  });

  it("a manifest log cut short by a crash loses only its torn record", async () => {
    const store = openStore();
    write("a.md", "Alpha.");
    await run(store);
    const manifest = IngestManifest.load(manifestPath());
    manifest.setPending(path.join(docs, "a.md"), ["x-0"]);
    manifest.close();
    const log = manifestPath().replace(/\.json$/, ".log");
    writeFileSync(log, '{"op":"remove","file":"/tru', { flag: "a" });
    const reloaded = IngestManifest.load(manifestPath());
    expect(reloaded.get(path.join(docs, "a.md"))?.pending).toEqual(["x-0"]);
    expect(reloaded.files()).toEqual([path.join(docs, "a.md")]);
  });
});

describe("collectFiles: symbolic links and .gitignore", () => {
  it("follows linked files and folders, counts them, and takes each real file once through a loop", async () => {
    write("real/a.md", "A");
    write("real/deeper/b.md", "B");
    const outside = path.join(root, "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "c.md"), "C");
    writeFileSync(path.join(outside, "d.md"), "D");
    symlinkSync(outside, path.join(docs, "linked-dir"));
    symlinkSync(path.join(outside, "d.md"), path.join(docs, "linked-file.md"));
    symlinkSync(path.join(docs, "real"), path.join(docs, "real", "deeper", "loop")); // a loop
    symlinkSync(path.join(docs, "real", "a.md"), path.join(docs, "again.md")); // a second path to a.md
    symlinkSync(path.join(root, "missing.md"), path.join(docs, "dangling.md"));
    const { files } = await collectFiles([docs]);
    // d.md is reachable as linked-dir/d.md and linked-file.md, a.md also as again.md: each is taken once.
    expect(files.map((f) => path.relative(docs, f))).toEqual([
      "linked-dir/c.md",
      "linked-dir/d.md",
      "real/a.md",
      "real/deeper/b.md",
    ]);
  });

  it("honours .gitignore files (nested, negated, folders) on top of the fixed skipped folders", async () => {
    write(".gitignore", "*.log.md\nsecret/\n!keep.log.md\n");
    write("notes.md", "n");
    write("debug.log.md", "d");
    write("keep.log.md", "k");
    write("secret/plan.md", "s");
    write("sub/.gitignore", "draft-*.md\n");
    write("sub/draft-1.md", "x");
    write("sub/final.md", "f");
    write("node_modules/dep.md", "x");
    const { files, gitignored } = await collectFiles([docs]);
    expect(files.map((f) => path.relative(docs, f))).toEqual(["keep.log.md", "notes.md", "sub/final.md"]);
    expect(gitignored).toBe(3);
  });
});
