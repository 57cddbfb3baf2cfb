import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePdf } from "../testing/pdf.ts";
import { chunkId, chunkText, collectFiles, loadFile, sourceLabel } from "./index.ts";

describe("chunkText", () => {
  it("keeps short text as one trimmed chunk and drops empty text", () => {
    expect(chunkText("  hello world \n", { chunkSize: 100, chunkOverlap: 10 })).toEqual(["hello world"]);
    expect(chunkText(" \n\n ", { chunkSize: 100, chunkOverlap: 10 })).toEqual([]);
  });

  it("respects the size, overlaps consecutive chunks and loses no word", () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`);
    const text = words.join(" ");
    const chunks = chunkText(text, { chunkSize: 200, chunkOverlap: 50 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(200);
    // Every word appears whole in some chunk, in order.
    const seen = new Set(chunks.flatMap((c) => c.split(/\s+/)));
    for (const w of words) expect(seen.has(w)).toBe(true);
    // Consecutive chunks share text (the overlap), and no chunk starts mid-word.
    for (let i = 1; i < chunks.length; i++) {
      const prevWords = new Set(chunks[i - 1]!.split(" "));
      expect(prevWords.has(chunks[i]!.split(" ")[0]!)).toBe(true);
    }
  });

  it("prefers paragraph breaks", () => {
    const para = (ch: string) => `${ch.repeat(30)} ${ch.repeat(30)}.`;
    const text = [para("a"), para("b"), para("c"), para("d")].join("\n\n");
    const chunks = chunkText(text, { chunkSize: 140, chunkOverlap: 0 });
    expect(chunks).toEqual([`${para("a")}\n\n${para("b")}`, `${para("c")}\n\n${para("d")}`]);
  });

  it("cuts text without any whitespace by size and still terminates", () => {
    const chunks = chunkText("x".repeat(1050), { chunkSize: 100, chunkOverlap: 30 });
    expect(chunks.every((c) => c.length === 100 || c === chunks.at(-1))).toBe(true);
    expect(chunks.length).toBe(15);
  });

  it("rejects an overlap not smaller than the size", () => {
    expect(() => chunkText("abc", { chunkSize: 10, chunkOverlap: 10 })).toThrow(RangeError);
  });
});

describe("chunkId", () => {
  it("is stable for a collection, path, content and chunk, different across any of them", () => {
    const id = chunkId("c", "/a/b.txt", "h1", 0);
    expect(chunkId("c", "/a/../a/b.txt", "h1", 0)).toBe(id);
    expect(chunkId("c", "/a/b.txt", "h1", 1)).not.toBe(id);
    expect(chunkId("c", "/a/c.txt", "h1", 0)).not.toBe(id);
    expect(chunkId("c", "/a/b.txt", "h2", 0)).not.toBe(id);
    expect(chunkId("d", "/a/b.txt", "h1", 0)).not.toBe(id);
    expect(chunkId("c", "/a/b.txt", "h1", 3)).toMatch(/^[0-9a-f]{24}-3$/);
  });

  it("sourceLabel is relative inside cwd and absolute outside", () => {
    expect(sourceLabel("/work/x/docs/a.md", "/work/x")).toBe("docs/a.md");
    expect(sourceLabel("/elsewhere/a.md", "/work/x")).toBe("/elsewhere/a.md");
  });
});

describe("loadFile and collectFiles", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deeprecall-loaders-"));
    mkdirSync(path.join(dir, "sub", "deeper"), { recursive: true });
    mkdirSync(path.join(dir, ".hidden"));
    mkdirSync(path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, "a.txt"), "\uFEFFplain text file");
    writeFileSync(path.join(dir, "b.md"), "# Title\n\nSome *markdown*.");
    writeFileSync(path.join(dir, "c.json"), '{"k": "json value"}');
    writeFileSync(path.join(dir, "d.csv"), "name,age\nada,36\n");
    writeFileSync(path.join(dir, "sub", "code.ts"), "export const answer = 42;\n");
    writeFileSync(
      path.join(dir, "sub", "page.html"),
      "<html><head><title>T</title><style>body{color:red}</style><script>var secret=1;</script></head>" +
        "<body><h1>Heading One</h1><p>First <b>para</b> with a <a href='https://x.test'>link</a>.</p>" +
        "<ul><li>item one</li><li>item two</li></ul></body></html>",
    );
    writeFileSync(
      path.join(dir, "sub", "deeper", "doc.pdf"),
      makePdf(["Quarterly revenue grew 12 percent.", "Second line."]),
    );
    writeFileSync(
      path.join(dir, "sub", "latin1.txt"),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]),
    );
    writeFileSync(path.join(dir, "sub", "binary.txt"), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(path.join(dir, "big.txt"), "z".repeat(5000));
    writeFileSync(path.join(dir, "broken.pdf"), "%PDF-1.4 this is not really a pdf");
    writeFileSync(path.join(dir, "image.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(path.join(dir, ".hidden", "secret.txt"), "hidden");
    writeFileSync(path.join(dir, "node_modules", "dep.js"), "dep");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opts = { maxFileSize: 1000 };

  it("reads text, markdown, json, csv and code as UTF-8 (BOM stripped)", async () => {
    expect(await loadFile(path.join(dir, "a.txt"), opts)).toEqual({
      ok: true,
      text: "plain text file",
      kind: "text",
    });
    expect(await loadFile(path.join(dir, "c.json"), opts)).toMatchObject({
      ok: true,
      text: '{"k": "json value"}',
    });
    expect(await loadFile(path.join(dir, "d.csv"), opts)).toMatchObject({
      ok: true,
      text: "name,age\nada,36\n",
    });
    expect(await loadFile(path.join(dir, "sub", "code.ts"), opts)).toMatchObject({ ok: true, kind: "code" });
  });

  it("extracts HTML text without scripts, styles or link targets", async () => {
    const result = await loadFile(path.join(dir, "sub", "page.html"), opts);
    expect(result.ok).toBe(true);
    const text = result.ok ? result.text : "";
    expect(text).toContain("Heading One");
    expect(text).toContain("First para with a link.");
    expect(text).toContain("item two");
    expect(text).not.toContain("secret");
    expect(text).not.toContain("color:red");
    expect(text).not.toContain("x.test");
  });

  it("extracts PDF text", async () => {
    const result = await loadFile(path.join(dir, "sub", "deeper", "doc.pdf"), opts);
    expect(result).toMatchObject({ ok: true, kind: "pdf" });
    expect(result.ok && result.text).toContain("Quarterly revenue grew 12 percent.");
  });

  it("skips non-UTF-8, binary, oversized, broken PDF and unsupported files with a reason", async () => {
    expect(await loadFile(path.join(dir, "sub", "latin1.txt"), opts)).toEqual({
      ok: false,
      reason: "not UTF-8 text",
    });
    expect(await loadFile(path.join(dir, "sub", "binary.txt"), opts)).toEqual({
      ok: false,
      reason: "not UTF-8 text",
    });
    const big = await loadFile(path.join(dir, "big.txt"), opts);
    expect(big.ok === false && big.reason).toMatch(/^too large \(4\.9 KB > 1000 B/);
    const broken = await loadFile(path.join(dir, "broken.pdf"), opts);
    expect(broken.ok === false && broken.reason).toMatch(/^unreadable PDF/);
    expect(await loadFile(path.join(dir, "image.png"), opts)).toEqual({
      ok: false,
      reason: 'unsupported file type ".png"',
    });
    const missing = await loadFile(path.join(dir, "missing.txt"), opts);
    expect(missing).toEqual({ ok: false, reason: "unreadable (ENOENT)" });
  });

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
