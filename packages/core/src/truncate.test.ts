import { describe, expect, it } from "vitest";
import { truncate } from "./truncate.ts";

describe("truncate", () => {
  it("leaves text that fits unchanged", () => {
    expect(truncate("hello", 5)).toBe("hello");
  });

  it("cuts to max characters and says by default how many were dropped", () => {
    expect(truncate("hello world", 5)).toBe("hello\n[output truncated: 6 more characters]");
  });

  it("takes another marker, e.g. an ellipsis", () => {
    expect(truncate("hello world", 5, () => "…")).toBe("hello…");
    expect(truncate("hello world", 5, (n) => ` (+${n})`)).toBe("hello (+6)");
  });

  it("counts an earlier cut's dropped characters in its own marker", () => {
    const cutBefore = "abcdefghij\n[output truncated: 1000 more characters]";
    expect(truncate(cutBefore, 4)).toBe("abcd\n[output truncated: 1006 more characters]");
    // Only the marker went over the limit: the text stays whole, the count is the earlier one.
    expect(truncate(cutBefore, 12)).toBe("abcdefghij\n[output truncated: 1000 more characters]");
    // Another marker is not touched.
    expect(truncate(cutBefore, 4, () => "…")).toBe("abcd…");
  });
});
