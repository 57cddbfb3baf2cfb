import { describe, expect, it } from "vitest";
import { normalise } from "./dense-top-k.ts";
import { SlotTable } from "./slot-table.ts";
import { tokenize } from "./tokenize.ts";

function table(): SlotTable {
  const t = new SlotTable();
  t.add(
    ["a", "b", "c"],
    ["apple pie", "banana bread", "cherry tart"],
    [{ n: 1 }, { n: 2 }, { n: 3 }],
    [normalise([1, 0]), normalise([0, 1]), normalise([1, 1])],
  );
  return t;
}

describe("SlotTable", () => {
  it("adds documents to every index, one slot each", () => {
    const t = table();
    expect(t.size).toBe(3);
    expect(t.dimension).toBe(2);
    expect(t.vectors!.rows).toBe(3);
    expect([...t.rows()].map(([id, , , row]) => [id, row])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
    expect(t.lexical.search(tokenize("banana"), 5).map((h) => h.slot)).toEqual([1]);
  });

  it("replacing an id leaves a dead slot; delete removes from every index", () => {
    const t = table();
    t.add(["a"], ["apricot jam"], [{ n: 9 }], undefined);
    t.delete(["b", "missing"]);
    expect(t.size).toBe(2);
    expect(t.ids).toEqual([undefined, undefined, "c", "a"]);
    expect(t.slotOf.get("a")).toBe(3);
    expect(t.vectorRow[3]).toBe(-1);
    expect(Array.from(t.rowSlot.subarray(0, 3))).toEqual([-1, -1, 2]);
    expect(t.lexical.search(tokenize("banana"), 5)).toEqual([]);
    expect(t.lexical.search(tokenize("apple"), 5)).toEqual([]);
  });

  it("compact() drops dead slots and their vectors, renumbering the live ones in order", () => {
    const t = table();
    t.add(["a"], ["apricot jam"], [{ n: 9 }], undefined);
    t.delete(["b"]);
    t.compact();
    expect(t.ids).toEqual(["c", "a"]);
    expect([...t.slotOf]).toEqual([
      ["c", 0],
      ["a", 1],
    ]);
    expect(t.vectors!.rows).toBe(1);
    expect(t.rowSlot[0]).toBe(0);
    expect(t.vectorRow[1]).toBe(-1);
    expect(t.lexical.search(tokenize("apricot"), 5).map((h) => h.slot)).toEqual([1]);
    expect(t.metadatas).toEqual([{ n: 3 }, { n: 9 }]);
  });

  it("loads a snapshot, rebuilding the lexical index when none is given", () => {
    const source = table();
    const copy = new SlotTable(2);
    copy.load([...source.rows()], source.vectors, null);
    expect(copy.size).toBe(3);
    expect(copy.slotOf.get("c")).toBe(2);
    expect(copy.rowSlot[1]).toBe(1);
    expect(copy.lexical.search(tokenize("cherry"), 5).map((h) => h.slot)).toEqual([2]);
  });
});
