import { describe, expect, it } from "vitest";
import { formatBytes } from "./format-bytes.ts";

describe("formatBytes", () => {
  it("keeps counts under 1 KiB in bytes", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1023)).toBe("1023 bytes");
  });

  it("uses binary units with at most one decimal", () => {
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(5000)).toBe("4.9 KiB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64 MiB");
    expect(formatBytes(1.5 * 1024 ** 3)).toBe("1.5 GiB");
    expect(formatBytes(3 * 1024 ** 5)).toBe("3072 TiB");
  });
});
