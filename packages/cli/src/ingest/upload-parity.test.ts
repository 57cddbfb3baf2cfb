import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { prepareUpload } from "@deeprecall/ingest";
import { InMemoryVectorStore, makePdf } from "@deeprecall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestManifest, ingestPaths } from "./index.ts";

// The server's uploads must store what `deeprecall ingest` stores for the same file: the same
// chunks with the same metadata (for a file at the top of the ingest's cwd, `source` is its name
// either way).

describe("an upload and `deeprecall ingest` of the same file", () => {
  let dir: string;
  const files: Record<string, Buffer> = {
    "notes.md": Buffer.from(
      Array.from({ length: 40 }, (_, i) => `## Part ${i}\n\nParagraph ${i} says something useful.`).join(
        "\n\n",
      ),
    ),
    "page.html": Buffer.from("<html><body><h1>Title</h1><p>Some <b>bold</b> words.</p></body></html>"),
    "main.py": Buffer.from("def answer():\n    return 42\n"),
    "report.pdf": makePdf(["Quarterly revenue grew 12 percent.", "Costs fell."]),
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deeprecall-parity-"));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives the same chunks and the same metadata", async () => {
    const store = new InMemoryVectorStore();
    const chunking = { chunkSize: 300, chunkOverlap: 50 };
    const summary = await ingestPaths(store, [dir], {
      ...chunking,
      maxFileSize: 1_000_000,
      manifest: IngestManifest.load(path.join(dir, ".manifest", "m.json")),
      collection: "c",
      cwd: dir,
    });
    expect(summary.added).toBe(4);
    const page = await store.list({ limit: 1000 });
    for (const name of Object.keys(files)) {
      const ingested = page.documents
        .filter((d) => d.metadata.filename === name)
        .sort((a, b) => (a.metadata.chunk as number) - (b.metadata.chunk as number));
      const uploaded = await prepareUpload(name, new Uint8Array(readFileSync(path.join(dir, name))), {
        ...chunking,
        maxFileSize: 1_000_000,
        collection: "c",
      });
      if (!uploaded.ok) throw new Error(uploaded.reason);
      expect(ingested.length, name).toBeGreaterThan(0);
      expect(uploaded.documents, name).toEqual(ingested.map((d) => d.content));
      expect(uploaded.metadatas, name).toEqual(ingested.map((d) => d.metadata));
    }
  });
});
