import { describe, expect, it } from "vitest";
import { uploadOutcomes } from "./upload-results.ts";

describe("uploadOutcomes", () => {
  it("reads ingested and rejected files with their chunk counts and reasons", () => {
    expect(
      uploadOutcomes({
        object: "list",
        data: [
          { filename: "a.md", status: "ingested", chunks: 3, ids: ["1", "2", "3"] },
          { filename: "b.exe", status: "rejected", error: { message: "Unsupported file type .exe" } },
          { filename: "c.txt", status: "rejected", reason: "empty file" },
        ],
      }),
    ).toEqual([
      { filename: "a.md", ok: true, chunks: 3 },
      { filename: "b.exe", ok: false, reason: "Unsupported file type .exe" },
      { filename: "c.txt", ok: false, reason: "empty file" },
    ]);
  });

  it("reads the server's upload response", () => {
    expect(
      uploadOutcomes({
        files: [
          {
            filename: "a.md",
            status: "ingested",
            chunks: 2,
            ids: ["x", "y"],
            bytes: 90,
            reason: null,
            replaced: 3,
          },
          {
            filename: "t.exe",
            status: "rejected",
            chunks: 0,
            ids: [],
            bytes: 9,
            reason: 'unsupported file type ".exe"',
            replaced: 0,
          },
        ],
        ingested: 1,
        rejected: 1,
        chunks: 2,
      }),
    ).toEqual([
      { filename: "a.md", ok: true, chunks: 2, replaced: 3 },
      { filename: "t.exe", ok: false, chunks: 0, reason: 'unsupported file type ".exe"' },
    ]);
  });

  it("accepts other list names and field spellings, and says something for a bare rejection", () => {
    expect(
      uploadOutcomes({
        files: [
          { name: "x.pdf", ok: true, ids: ["a", "b"] },
          { file: "y.bin", status: "failed" },
        ],
      }),
    ).toEqual([
      { filename: "x.pdf", ok: true, chunks: 2 },
      { filename: "y.bin", ok: false, reason: "rejected by the server" },
    ]);
    expect(uploadOutcomes(null)).toEqual([]);
    expect(uploadOutcomes({ data: "nope" })).toEqual([]);
  });
});
