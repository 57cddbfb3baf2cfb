import { afterEach, describe, expect, it, vi } from "vitest";
import type { DocumentJson } from "./api-types.ts";
import { DELETE_BATCH, deleteInBatches, findFileChunks, neighbours } from "./file-chunks.ts";

const doc = (id: string, source: string, chunk?: number): DocumentJson =>
  ({
    object: "document",
    id,
    content: id,
    metadata: { source, ...(chunk === undefined ? {} : { chunk, chunks: 3 }) },
  }) as DocumentJson;

afterEach(() => vi.unstubAllGlobals());

describe("findFileChunks", () => {
  it("pages through the search and keeps only the file's own chunks, in order", async () => {
    const pages = [
      { data: [doc("b-2", "b.md", 2), doc("x", "notes about b.md")], has_more: true, next_cursor: "c1" },
      { data: [doc("b-0", "b.md", 0), doc("b-1", "b.md", 1)], has_more: false, next_cursor: null },
    ];
    const urls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        urls.push(url);
        return new Response(JSON.stringify(pages.shift()), { status: 200 });
      }),
    );
    const chunks = await findFileChunks("b.md", "wiki");
    expect(chunks.map((d) => d.id)).toEqual(["b-0", "b-1", "b-2"]);
    expect(urls[0]).toContain("q=b.md");
    expect(urls[0]).toContain("collection=wiki");
    expect(urls[1]).toContain("after=c1");
    expect(neighbours(chunks, "b-1")).toEqual({ previous: chunks[0], next: chunks[2] });
    expect(neighbours(chunks, "b-0").previous).toBeNull();
  });
});

describe("deleteInBatches", () => {
  it("deletes in batches, reporting progress", async () => {
    const bodies: Array<{ ids: string[] }> = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        const body = JSON.parse(String(init.body)) as { ids: string[] };
        bodies.push(body);
        return new Response(JSON.stringify({ count: body.ids.length, not_found: [] }), { status: 200 });
      }),
    );
    const ids = Array.from({ length: DELETE_BATCH * 2 + 5 }, (_, i) => `c-${i}`);
    const progress: number[] = [];
    expect(await deleteInBatches(ids, undefined, (n) => progress.push(n))).toBe(ids.length);
    expect(bodies.map((b) => b.ids.length)).toEqual([DELETE_BATCH, DELETE_BATCH, 5]);
    expect(progress).toEqual([DELETE_BATCH, DELETE_BATCH * 2, ids.length]);
  });
});
