import { describe, expect, it } from "vitest";
import { formatBytes } from "./format.ts";

describe("formatBytes", () => {
  it("shows bytes, KB and MB (1024-based, one decimal)", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KB");
    expect(formatBytes(5000)).toBe("4.9 KB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20.0 MB");
  });
});
