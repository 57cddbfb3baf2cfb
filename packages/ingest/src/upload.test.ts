import { makePdf } from "@deeprecall/test-utils";
import { describe, expect, it } from "vitest";
import { chunkDocuments } from "./chunk-documents.ts";
import { isUploadChunkOf, uploadChunkId } from "./ids.ts";
import { sha256Hex } from "./loaders.ts";
import { prepareUpload, uploadName } from "./upload.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const options = { collection: "c", maxFileSize: 10_000, chunkSize: 120, chunkOverlap: 20 };

describe("uploadName", () => {
  it("keeps only the base name of what the client sent", () => {
    expect(uploadName("notes.md")).toEqual({ ok: true, name: "notes.md" });
    expect(uploadName("../../etc/passwd.txt")).toEqual({ ok: true, name: "passwd.txt" });
    expect(uploadName("C:\\Users\\ada\\report.pdf")).toEqual({ ok: true, name: "report.pdf" });
    expect(uploadName("/abs/path/a b.txt ")).toEqual({ ok: true, name: "a b.txt" });
  });

  it("refuses names without a base name, with control characters, or too long", () => {
    for (const raw of ["", "  ", ".", "..", "a/..", "dir/", "..\\"]) {
      const result = uploadName(raw);
      expect(result.ok, raw).toBe(false);
      expect(!result.ok && result.reason).toMatch(/^invalid file name .*: no base name$/);
    }
    expect(uploadName("a\u0000b.txt")).toMatchObject({ ok: false, reason: expect.stringMatching(/control/) });
    expect(uploadName(`${"x".repeat(300)}.txt`)).toMatchObject({
      ok: false,
      reason: "invalid file name: longer than 255 characters",
    });
  });
});

describe("prepareUpload", () => {
  const text = Array.from({ length: 30 }, (_, i) => `Line ${i}: the quick brown fox.`).join("\n");

  it("loads, chunks and ids a file like `deeprecall ingest` does, with the name as source", async () => {
    const bytes = enc(text);
    const prepared = await prepareUpload("docs/fox.txt", bytes, options);
    if (!prepared.ok) throw new Error(prepared.reason);
    const expected = chunkDocuments(
      { text, kind: "text" },
      { source: "fox.txt", filename: "fox.txt", chunkSize: 120, chunkOverlap: 20 },
    );
    expect(prepared.filename).toBe("fox.txt");
    expect(prepared.bytes).toBe(bytes.byteLength);
    expect(prepared.sha256).toBe(sha256Hex(bytes));
    expect(prepared.kind).toBe("text");
    expect(prepared.documents).toEqual(expected.documents);
    expect(prepared.metadatas).toEqual(expected.metadatas);
    expect(prepared.documents.length).toBeGreaterThan(3);
    expect(prepared.ids).toEqual(
      prepared.documents.map((_, i) => uploadChunkId("c", "fox.txt", prepared.sha256, i)),
    );
    expect(prepared.ids.every((id) => isUploadChunkOf(id, "c", "fox.txt"))).toBe(true);
  });

  it("gives the same ids for the same bytes, new ids for new bytes", async () => {
    const a = await prepareUpload("fox.txt", enc(text), options);
    const again = await prepareUpload("fox.txt", enc(text), options);
    const changed = await prepareUpload("fox.txt", enc(`${text}\nOne more line.`), options);
    expect(a.ok && again.ok && changed.ok).toBe(true);
    if (!a.ok || !again.ok || !changed.ok) return;
    expect(again.ids).toEqual(a.ids);
    expect(changed.ids[0]).not.toBe(a.ids[0]);
  });

  it("reads a PDF", async () => {
    const prepared = await prepareUpload(
      "q3.pdf",
      new Uint8Array(makePdf(["Revenue grew 12 percent."])),
      options,
    );
    expect(prepared).toMatchObject({ ok: true, kind: "pdf", documents: ["Revenue grew 12 percent."] });
    expect(prepared.ok && prepared.metadatas[0]).toEqual({
      source: "q3.pdf",
      filename: "q3.pdf",
      chunk: 0,
      chunks: 1,
      type: "pdf",
    });
  });

  it("refuses a bad file with its name, size and reason", async () => {
    expect(await prepareUpload("..", enc("x"), options)).toEqual({
      ok: false,
      filename: "..",
      bytes: 1,
      reason: 'invalid file name "..": no base name',
    });
    expect(await prepareUpload("a/b.exe", enc("x"), options)).toEqual({
      ok: false,
      filename: "b.exe",
      bytes: 1,
      reason: 'unsupported file type ".exe"',
    });
    expect(await prepareUpload("big.txt", enc("z".repeat(20_000)), options)).toMatchObject({
      ok: false,
      reason: "too large (19.5 KiB > 9.8 KiB)",
    });
    expect(await prepareUpload("blank.txt", enc("   "), options)).toMatchObject({
      ok: false,
      reason: "no text",
    });
  });
});
