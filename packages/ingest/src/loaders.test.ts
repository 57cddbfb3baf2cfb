import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { makePdf } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileKind, isSupportedFile, loadBytes, loadFile, sha256Hex } from "./loaders.ts";

const enc = (text: string) => new TextEncoder().encode(text);

const HTML =
  "<html><head><title>T</title><style>body{color:red}</style><script>var secret=1;</script></head>" +
  "<body><h1>Heading One</h1><p>First <b>para</b> with a <a href='https://x.test'>link</a>.</p>" +
  "<ul><li>item one</li><li>item two</li></ul></body></html>";
const PDF = makePdf(["Quarterly revenue grew 12 percent.", "Second line."]);
const LATIN1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]);
const BINARY = Uint8Array.from([0x61, 0x00, 0x62]);

describe("file types", () => {
  it("knows text, code, HTML and PDF by extension, case-insensitively", () => {
    expect(fileKind("a.TXT")).toBe("text");
    expect(fileKind("notes.md")).toBe("text");
    expect(fileKind("data.json")).toBe("text");
    expect(fileKind("table.csv")).toBe("text");
    expect(fileKind("main.py")).toBe("code");
    expect(fileKind("conf.yaml")).toBe("code");
    expect(fileKind("page.htm")).toBe("html");
    expect(fileKind("Report.PDF")).toBe("pdf");
    expect(fileKind("image.png")).toBeUndefined();
    expect(fileKind("Makefile")).toBeUndefined();
    expect(isSupportedFile("/x/y/z.ts")).toBe(true);
    expect(isSupportedFile("/x/y/z.exe")).toBe(false);
  });
});

describe("loadFile (a file on disk)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deeprecall-loaders-"));
    mkdirSync(path.join(dir, "sub"));
    writeFileSync(path.join(dir, "a.txt"), "\uFEFFplain text file");
    writeFileSync(path.join(dir, "c.json"), '{"k": "json value"}');
    writeFileSync(path.join(dir, "d.csv"), "name,age\nada,36\n");
    writeFileSync(path.join(dir, "sub", "code.ts"), "export const answer = 42;\n");
    writeFileSync(path.join(dir, "sub", "page.html"), HTML);
    writeFileSync(path.join(dir, "doc.pdf"), PDF);
    writeFileSync(path.join(dir, "latin1.txt"), LATIN1);
    writeFileSync(path.join(dir, "binary.txt"), BINARY);
    writeFileSync(path.join(dir, "blank.md"), " \n\n\t ");
    writeFileSync(path.join(dir, "big.txt"), "z".repeat(5000));
    writeFileSync(path.join(dir, "broken.pdf"), "%PDF-1.4 this is not really a pdf");
    writeFileSync(path.join(dir, "image.png"), Uint8Array.from([0x89, 0x50, 0x4e, 0x47]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opts = { maxFileSize: 1000 };

  it("reads text, json, csv and code as UTF-8 (BOM stripped)", async () => {
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
    const result = await loadFile(path.join(dir, "doc.pdf"), opts);
    expect(result).toMatchObject({ ok: true, kind: "pdf" });
    expect(result.ok && result.text).toContain("Quarterly revenue grew 12 percent.");
  });

  it("skips non-UTF-8, binary, blank, oversized, broken PDF, unsupported and missing files with a reason", async () => {
    const reason = async (name: string, options: Parameters<typeof loadFile>[1] = opts) => {
      const result = await loadFile(path.join(dir, name), options);
      return result.ok ? "(loaded)" : result.reason;
    };
    expect(await reason("latin1.txt")).toBe("not UTF-8 text");
    expect(await reason("binary.txt")).toBe("binary data, not text");
    expect(await reason("blank.md")).toBe("no text");
    expect(await reason("big.txt")).toBe("too large (4.9 KiB > 1000 bytes)");
    expect(await reason("big.txt", { ...opts, sizeHint: "raise --max-file-size" })).toBe(
      "too large (4.9 KiB > 1000 bytes; raise --max-file-size)",
    );
    expect(await reason("broken.pdf")).toMatch(/^unreadable PDF \(.+\)$/);
    expect(await reason("image.png")).toBe('unsupported file type ".png"');
    expect(await reason("missing.txt")).toBe("unreadable (ENOENT)");
    expect(await reason("sub")).toBe('unsupported file type "(none)"');
  });
});

describe("loadBytes (a file in memory: an upload)", () => {
  const opts = { maxFileSize: 1000 };

  it("reads each type exactly as loadFile reads it from disk", async () => {
    expect(await loadBytes("a.txt", enc("\uFEFFplain text file"), opts)).toEqual({
      ok: true,
      text: "plain text file",
      kind: "text",
    });
    expect(await loadBytes("b.md", enc("# Title\n\nSome *markdown*."), opts)).toEqual({
      ok: true,
      text: "# Title\n\nSome *markdown*.",
      kind: "text",
    });
    expect(await loadBytes("c.json", enc('{"k": 1}'), opts)).toMatchObject({ ok: true, kind: "text" });
    expect(await loadBytes("d.csv", enc("name,age\nada,36\n"), opts)).toMatchObject({
      ok: true,
      text: "name,age\nada,36\n",
    });
    expect(await loadBytes("main.go", enc("package main\n"), opts)).toMatchObject({ ok: true, kind: "code" });
    const html = await loadBytes("page.html", enc(HTML), opts);
    expect(html).toMatchObject({ ok: true, kind: "html" });
    expect(html.ok && html.text).toContain("First para with a link.");
    expect(html.ok && html.text).not.toContain("secret");
    const pdf = await loadBytes("report.pdf", new Uint8Array(PDF), opts);
    expect(pdf).toMatchObject({ ok: true, kind: "pdf" });
    expect(pdf.ok && pdf.text).toContain("Quarterly revenue grew 12 percent.");
  });

  it("leaves the caller's bytes usable after reading a PDF", async () => {
    const bytes = new Uint8Array(PDF);
    const before = sha256Hex(bytes);
    await loadBytes("report.pdf", bytes, opts);
    expect(bytes.byteLength).toBe(PDF.length);
    expect(sha256Hex(bytes)).toBe(before);
  });

  it("refuses with a clear reason: unsupported type, too large, not UTF-8, binary, unreadable PDF, no text", async () => {
    const reason = async (name: string, bytes: Uint8Array) => {
      const result = await loadBytes(name, bytes, opts);
      return result.ok ? "(loaded)" : result.reason;
    };
    expect(await reason("photo.jpg", enc("x"))).toBe('unsupported file type ".jpg"');
    expect(await reason("README", enc("x"))).toBe('unsupported file type "(none)"');
    expect(await reason("big.txt", enc("z".repeat(5000)))).toBe("too large (4.9 KiB > 1000 bytes)");
    // The size is checked before anything is parsed.
    expect(await reason("big.pdf", new Uint8Array(5000))).toBe("too large (4.9 KiB > 1000 bytes)");
    expect(await reason("latin1.txt", LATIN1)).toBe("not UTF-8 text");
    expect(await reason("binary.md", BINARY)).toBe("binary data, not text");
    expect(await reason("broken.pdf", enc("%PDF-1.4 not really"))).toMatch(/^unreadable PDF \(.+\)$/);
    expect(await reason("scan.pdf", new Uint8Array(makePdf([])))).toBe(
      "PDF has no extractable text (scanned images?)",
    );
    expect(await reason("empty.txt", new Uint8Array())).toBe("no text");
    expect(await reason("blank.html", enc("<html><body> <script>x()</script></body></html>"))).toBe(
      "no text",
    );
  });
});
