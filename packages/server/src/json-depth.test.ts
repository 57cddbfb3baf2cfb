import { describe, expect, it } from "vitest";
import { jsonDeeperThan, MAX_JSON_DEPTH } from "./json-depth.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

describe("jsonDeeperThan", () => {
  it("counts arrays and objects inside each other, up to the limit and past it", () => {
    expect(jsonDeeperThan(bytes(nested(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonDeeperThan(bytes(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${"}".repeat(MAX_JSON_DEPTH + 1)}`;
    expect(jsonDeeperThan(bytes(objects))).toBe(true);
    expect(jsonDeeperThan(bytes(nested(3)), 2)).toBe(true);
    expect(jsonDeeperThan(bytes(nested(2)), 2)).toBe(false);
  });

  it("measures depth, not how many brackets there are", () => {
    const wide = `[${Array.from({ length: 1000 }, () => "[[1]]").join(",")}]`;
    expect(jsonDeeperThan(bytes(wide), 3)).toBe(false);
    expect(jsonDeeperThan(bytes(wide), 2)).toBe(true);
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ s: `${"[".repeat(2000)} \\" "${"{".repeat(2000)}` });
    expect(jsonDeeperThan(bytes(text), 5)).toBe(false);
    const multibyte = JSON.stringify({ s: `é€😀${"[".repeat(600)}`, t: [["ü"]] });
    // The object and the two arrays of t: 3 deep.
    expect(jsonDeeperThan(bytes(multibyte), 3)).toBe(false);
    expect(jsonDeeperThan(bytes(multibyte), 2)).toBe(true);
  });
});
