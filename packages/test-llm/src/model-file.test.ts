import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findTestModel, TEST_GGUF_ENV, testModelOrSkip } from "./model-file.ts";

describe("finding the test model", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "test-llm-"));
  const file = path.join(dir, "m.gguf");
  writeFileSync(file, "GGUF");

  it("uses DEEPRECALL_TEST_GGUF when set", () => {
    expect(findTestModel({ [TEST_GGUF_ENV]: file })).toEqual({ path: file });
    const missing = findTestModel({ [TEST_GGUF_ENV]: path.join(dir, "none.gguf") });
    expect(missing.path).toBeUndefined();
    expect(missing.reason).toContain(`${TEST_GGUF_ENV}=`);
    expect(findTestModel({ [TEST_GGUF_ENV]: dir }).reason).toMatch(/not a non-empty file/);
  });

  it("skips outside CI, fails under CI=true", () => {
    const env = { [TEST_GGUF_ENV]: path.join(dir, "none.gguf") };
    expect(testModelOrSkip(env)).toBeUndefined();
    expect(() => testModelOrSkip({ ...env, CI: "true" })).toThrow(
      /CI=true but the real test model is missing/,
    );
    expect(testModelOrSkip({ [TEST_GGUF_ENV]: file, CI: "true" })).toBe(file);
  });
});
