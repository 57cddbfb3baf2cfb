import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectFiles, sourceLabel } from "./index.ts";

// Loaders, chunking and chunk ids are tested in @deeprecall/ingest; this is what the CLI adds.

describe("sourceLabel", () => {
  it("is relative inside cwd", () => {
    expect(sourceLabel("/work/x/docs/a.md", "/work/x")).toBe("docs/a.md");
    expect(sourceLabel("/work/x/docs/a.md", "/work/x", ["/tmp/other"])).toBe("docs/a.md");
  });

  it("outside cwd, never absolute: relative to the ingested folder's parent, or the file's name", () => {
    const cwd = "/work/x";
    expect(sourceLabel("/tmp/docs/wiki/apollo.md", cwd, ["/tmp/docs/wiki"])).toBe("wiki/apollo.md");
    expect(sourceLabel("/tmp/docs/wiki/deep/b.md", cwd, ["/tmp/docs/wiki/"])).toBe("wiki/deep/b.md");
    expect(sourceLabel("/work/docs/wiki/apollo.md", cwd, ["../docs/wiki"])).toBe("wiki/apollo.md");
    // The innermost folder given wins.
    expect(sourceLabel("/tmp/docs/wiki/a.md", cwd, ["/tmp/docs", "/tmp/docs/wiki"])).toBe("wiki/a.md");
    // A glob: from the folder before its first wildcard.
    expect(sourceLabel("/tmp/docs/wiki/a.md", cwd, ["/tmp/docs/wiki/*.md"])).toBe("wiki/a.md");
    expect(sourceLabel("/tmp/docs/wiki/a.md", cwd, ["/tmp/docs/w*/*.md"])).toBe("docs/wiki/a.md");
    // A single file, or no input known: the name.
    expect(sourceLabel("/tmp/docs/wiki/a.md", cwd, ["/tmp/docs/wiki/a.md"])).toBe("a.md");
    expect(sourceLabel("/elsewhere/a.md", cwd)).toBe("a.md");
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
