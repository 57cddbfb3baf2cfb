import { describe, expect, it } from "vitest";
import { BlockSyntaxError, looksLikePython, transformBlock } from "./transform.ts";

describe("transformBlock", () => {
  it("turns top-level declarations into global assignments and lists the names", () => {
    const { code, declaredNames } = transformBlock(
      "const a = 1, b = 2\nlet c\nvar d\nclass E {}\nfunction f() {}",
    );
    expect(declaredNames.sort()).toEqual(["E", "a", "b", "c", "d", "f"]);
    expect(code.startsWith("var ")).toBe(true);
    expect(code).toContain(";a = 1, b = 2");
    expect(code).toContain(";c = undefined");
    expect(code).not.toMatch(/\b(const|let)\b/);
    expect(code).toContain(";E = class E {};");
    expect(code).toContain('globalThis["f"] = f;');
  });

  it("keeps the model's line numbers", () => {
    const source = "const a = 1\n\nconst { b } = { b: 2 }\nthrowHere()";
    const { code } = transformBlock(source);
    const lines = code.split("\n");
    expect(lines[3]).toBe("throwHere()");
    expect(lines.length).toBe(source.split("\n").length + 1);
  });

  it("wraps object patterns so they parse as assignments", () => {
    expect(transformBlock("const { a, b: [c] } = obj").code).toContain(";({ a, b: [c] } = obj)");
  });

  it("leaves nested declarations and loop bindings alone", () => {
    const { declaredNames, code } = transformBlock(
      "for (const x of xs) { const y = x }\nif (a) { let z = 1 }",
    );
    expect(declaredNames).toEqual([]);
    expect(code).toContain("for (const x of xs) { const y = x }");
  });

  it("accepts top-level await and return", () => {
    expect(() => transformBlock("const r = await searchDb('x')\nif (!r.length) return")).not.toThrow();
  });

  it("reports syntax errors with line and column", () => {
    expect(() => transformBlock("let x = ;")).toThrow(BlockSyntaxError);
    expect(() => transformBlock("ok()\nlet x = ;")).toThrow(
      /^SyntaxError: Unexpected token \(line 2, column 9\)/,
    );
  });
});

describe("looksLikePython", () => {
  it.each([
    "for h in hits:\n    print(h)",
    "if x > 1:\n    y = 2",
    "def f(x):\n    return x",
    'print(f"hits: {len(hits)}")',
    "import json",
    "from collections import Counter",
    "try:\n  x()\nexcept Exception as e:\n  pass",
  ])("flags %j", (code) => {
    expect(looksLikePython(code)).toBe(true);
  });

  it.each([
    "const x = {",
    "for (const h of hits) { print(h) ",
    "const s = `value $" + "{x}`; foo(",
    "class A { #secret = 1; }}",
  ])("does not flag JavaScript %j", (code) => {
    expect(looksLikePython(code)).toBe(false);
  });
});
