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
});
