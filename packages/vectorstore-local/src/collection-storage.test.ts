import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VectorStoreError } from "@deeprecall/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CollectionStorage } from "./collection-storage.ts";
import { normalise } from "./dense-top-k.ts";
import { SlotTable } from "./slot-table.ts";

let directory: string;
const opened: CollectionStorage[] = [];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "deeprecall-storage-"));
});

afterEach(async () => {
  for (const storage of opened.splice(0)) storage.close();
  await rm(directory, { recursive: true, force: true });
});

function openStorage(): { storage: CollectionStorage; table: SlotTable } {
  const storage = new CollectionStorage(join(directory, "c"));
  const table = new SlotTable();
  storage.open(table);
  opened.push(storage);
  return { storage, table };
}

const manifest = () => JSON.parse(readFileSync(join(directory, "c", "manifest.json"), "utf8"));

describe("CollectionStorage", () => {
  it("creates an empty collection with a manifest of generation 0", () => {
    const { table } = openStorage();
    expect(table.size).toBe(0);
    expect(manifest()).toMatchObject({ format: 2, generation: 0, hasSnapshot: false });
  });

  it("replays the log on open: appended records come back, deletes included", () => {
    const first = openStorage();
    first.storage.append({
      op: "add",
      docs: [
        { id: "a", content: "alpha", metadata: { k: 1 }, vector: normalise([1, 0]) },
        { id: "b", content: "beta", metadata: {}, vector: normalise([0, 1]) },
      ],
    });
    first.storage.append({ op: "delete", ids: ["a"] });
    expect(first.storage.logSize).toBeGreaterThan(0);
    first.storage.close();
    opened.length = 0;
    const { table } = openStorage();
    expect(table.size).toBe(1);
    expect(table.slotOf.has("b")).toBe(true);
    expect(table.dimension).toBe(2);
  });

  it("compact() writes the next generation, empties the log and deletes the previous generation", () => {
    const { storage, table } = openStorage();
    const docs = [{ id: "a", content: "alpha", metadata: {} }];
    storage.append({ op: "add", docs });
    table.add(["a"], ["alpha"], [{}], undefined);
    storage.compact(table);
    expect(manifest()).toMatchObject({ generation: 1, hasSnapshot: true });
    expect(storage.logSize).toBe(0);
    expect(storage.snapshotBytes).toBeGreaterThan(0);
    const files = readdirSync(join(directory, "c"));
    expect(files).toEqual(expect.arrayContaining(["docs-1.json", "lexical-1.bin", "wal-1.log"]));
    expect(existsSync(join(directory, "c", "wal-0.log"))).toBe(false);
    storage.close();
    opened.length = 0;
    expect(openStorage().table.size).toBe(1);
  });

  it("wraps a failed append in a VectorStoreError naming the log", () => {
    const { storage } = openStorage();
    storage.close();
    opened.length = 0;
    expect(() => storage.append({ op: "delete", ids: ["x"] })).toThrow(VectorStoreError);
    expect(() => storage.append({ op: "delete", ids: ["x"] })).toThrow(/wal-0\.log/);
  });
});
