import { appendFileSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeWalRecord, readWal, WalWriter } from "./storage.ts";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "deeprecall-wal-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("write-ahead log", () => {
  it("writes records from string pieces byte-identical to encoding them whole", () => {
    const path = join(directory, "wal.log");
    const wal = new WalWriter(path, 0);
    const big = "Zürich 東京 ".repeat(40_000); // larger than the encode buffer, multi-byte UTF-8
    const records = [
      { op: "add", docs: [{ id: "a", content: "first" }] },
      {
        op: "add",
        docs: [
          { id: "b", content: big },
          { id: "c", content: "ünïcödé" },
        ],
      },
      { op: "delete", ids: ["a"] },
    ];
    wal.append(['{"op":"add","docs":[', JSON.stringify(records[0]!.docs![0]), "]}"]);
    wal.append([
      '{"op":"add","docs":[',
      JSON.stringify(records[1]!.docs![0]),
      `,${JSON.stringify(records[1]!.docs![1])}`,
      "]}",
    ]);
    wal.append(Buffer.from(JSON.stringify(records[2])));
    wal.close();
    const expected = Buffer.concat(records.map((r) => encodeWalRecord(r)));
    expect(readFileSync(path).equals(expected)).toBe(true);
    const read = readWal(path);
    expect(read.records).toEqual(records);
    expect(read.validLength).toBe(expected.length);
  });

  it("stops at a record whose header was never written, and the writer cuts it off", () => {
    const path = join(directory, "wal.log");
    const wal = new WalWriter(path, 0);
    wal.append(["[1]"]);
    wal.close();
    const valid = statSync(path).size;
    // A crash after the payload but before its header: eight zero bytes, then the payload.
    appendFileSync(path, Buffer.concat([Buffer.alloc(8), Buffer.from("[2]")]));
    const read = readWal(path);
    expect(read.records).toEqual([[1]]);
    expect(read.validLength).toBe(valid);
    const reopened = new WalWriter(path, read.validLength);
    reopened.append(["[3]"]);
    reopened.close();
    expect(readWal(path).records).toEqual([[1], [3]]);
  });
});
