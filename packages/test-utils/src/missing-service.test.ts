import { afterEach, describe, expect, it, vi } from "vitest";
import { isCI, skipOrFailForMissing } from "./missing-service.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("skipOrFailForMissing", () => {
  it("throws under CI=true or CI=1, naming what is missing", () => {
    for (const CI of ["true", "1"]) {
      expect(() => skipOrFailForMissing("no redis-server: apt-get install redis-server", { CI })).toThrow(
        "CI=true and a service the tests need is missing: no redis-server: apt-get install redis-server",
      );
    }
  });

  it("outside CI warns and returns a skip label that carries the install hint", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (const env of [{}, { CI: "false" }, { CI: "" }]) {
      expect(skipOrFailForMissing("no chroma: pip install chromadb", env)).toBe(
        " (skipped: no chroma: pip install chromadb)",
      );
    }
    expect(warn).toHaveBeenCalledWith("[skipped] no chroma: pip install chromadb");
  });

  it("isCI reads CI=true and CI=1 only", () => {
    expect(isCI({ CI: "true" })).toBe(true);
    expect(isCI({ CI: "1" })).toBe(true);
    expect(isCI({ CI: "0" })).toBe(false);
    expect(isCI({})).toBe(false);
  });
});
