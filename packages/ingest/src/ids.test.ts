import { describe, expect, it } from "vitest";
import { chunkId, isUploadChunkOf, legacyChunkId, uploadChunkId, uploadIdPrefix } from "./ids.ts";

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

  it("keeps the ids existing stores hold (a store ingested before the move is not duplicated)", () => {
    // Pinned values: a change here re-embeds and duplicates every ingested file.
    expect(chunkId("default", "/docs/a.md", "abc", 0)).toBe("b1023e5a1d0633af0290f3db-0");
    expect(legacyChunkId("/docs/a.md", 2)).toBe("b6d30f19c7f086f1eedfb5eb-2");
  });
});

describe("uploadChunkId", () => {
  it("is stable per collection, name and content; a new version keeps the name's prefix", () => {
    const id = uploadChunkId("c", "a.txt", "h1", 0);
    expect(id).toMatch(/^[0-9a-f]{24}-0$/);
    expect(uploadChunkId("c", "a.txt", "h1", 0)).toBe(id);
    const changed = uploadChunkId("c", "a.txt", "h2", 0);
    expect(changed).not.toBe(id);
    expect(changed.slice(0, 12)).toBe(id.slice(0, 12));
    expect(id.startsWith(uploadIdPrefix("c", "a.txt"))).toBe(true);
    expect(uploadChunkId("c", "b.txt", "h1", 0).slice(0, 12)).not.toBe(id.slice(0, 12));
    expect(uploadChunkId("d", "a.txt", "h1", 0).slice(0, 12)).not.toBe(id.slice(0, 12));
  });

  it("recognises the chunks of every version of one upload, and nothing else", () => {
    expect(isUploadChunkOf(uploadChunkId("c", "a.txt", "h1", 4), "c", "a.txt")).toBe(true);
    expect(isUploadChunkOf(uploadChunkId("c", "a.txt", "h9", 0), "c", "a.txt")).toBe(true);
    expect(isUploadChunkOf(uploadChunkId("c", "b.txt", "h1", 0), "c", "a.txt")).toBe(false);
    expect(isUploadChunkOf(uploadChunkId("x", "a.txt", "h1", 0), "c", "a.txt")).toBe(false);
    expect(isUploadChunkOf(chunkId("c", "/a.txt", "h1", 0), "c", "a.txt")).toBe(false);
    expect(isUploadChunkOf(`${uploadIdPrefix("c", "a.txt")}-custom`, "c", "a.txt")).toBe(false);
  });
});
