import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectFiles, sourceLabel } from "./index.ts";

// Loaders, chunking and chunk ids are tested in @deeprecall/ingest; this is what the CLI adds.

describe("sourceLabel", () => {
  it("is relative inside cwd and absolute outside", () => {
    expect(sourceLabel("/work/x/docs/a.md", "/work/x")).toBe("docs/a.md");
    expect(sourceLabel("/elsewhere/a.md", "/work/x")).toBe("/elsewhere/a.md");
  });
});

describe("collectFiles", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deeprecall-collect-"));
    mkdirSync(path.join(dir, "sub", "deeper"), { recursive: true });
    mkdirSync(path.join(dir, ".hidden"));
    mkdirSync(path.join(dir, "node_modules"));
    for (const name of ["a.txt", "b.md", "big.txt", "broken.pdf", "c.json", "d.csv"]) {
      writeFileSync(path.join(dir, name), "x");
    }
    for (const name of ["binary.txt", "code.ts", "latin1.txt", "page.html"]) {
      writeFileSync(path.join(dir, "sub", name), "x");
    }
    writeFileSync(path.join(dir, "sub", "deeper", "doc.pdf"), "x");
    writeFileSync(path.join(dir, "image.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(path.join(dir, ".hidden", "secret.txt"), "hidden");
    writeFileSync(path.join(dir, "node_modules", "dep.js"), "dep");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("walks directories recursively, skipping hidden dirs and node_modules, counting ignored types", async () => {
    const { files, ignored } = await collectFiles([dir]);
    const rel = files.map((f) => path.relative(dir, f).split(path.sep).join("/"));
    expect(rel).toEqual([
      "a.txt",
      "b.md",
      "big.txt",
      "broken.pdf",
      "c.json",
      "d.csv",
      "sub/binary.txt",
      "sub/code.ts",
      "sub/deeper/doc.pdf",
      "sub/latin1.txt",
      "sub/page.html",
    ]);
    expect(ignored).toBe(1);
  });

  it("expands globs and single files; a missing path is a clear error", async () => {
    const { files } = await collectFiles(["sub/**/*.pdf", "a.txt"], { cwd: dir });
    expect(files.map((f) => path.basename(f))).toEqual(["a.txt", "doc.pdf"]);
    await expect(collectFiles(["nope/"], { cwd: dir })).rejects.toThrow(
      "--path: no such file or directory: nope/",
    );
    await expect(collectFiles(["**/*.nothing"], { cwd: dir })).rejects.toThrow(
      '--path: no files match "**/*.nothing"',
    );
  });
});
