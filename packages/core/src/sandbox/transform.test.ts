import { createContext, runInContext } from "node:vm";
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

  it("lists every name a destructuring declaration binds (nested, rest and defaulted)", () => {
    const { declaredNames } = transformBlock(
      "const { a, b: [c, ...d], e = 1, ...f } = obj\nlet [g, , h = 2, ...i] = arr",
    );
    expect(declaredNames.sort()).toEqual(["a", "c", "d", "e", "f", "g", "h", "i"]);
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

  it("runs top-level await and an early return as the model wrote them", async () => {
    const context = createContext({
      searchDb: async (q: string) => (q === "x" ? [] : [q]),
      log: [] as string[],
    });
    const run = (source: string) => runInContext(transformBlock(source).code, context) as Promise<unknown>;
    const block =
      "const r = await searchDb(q)\nif (!r.length) return 'nothing'\nlog.push('found ' + r[0])\nreturn r[0]";
    context.q = "x";
    await expect(run(block)).resolves.toBe("nothing");
    expect(context.r).toEqual([]);
    expect(context.log).toEqual([]);
    context.q = "y";
    await expect(run(block)).resolves.toBe("y");
    expect(context.log).toEqual(["found y"]);
  });

  it("keeps every top-level name across blocks, and lets a later block declare it again", async () => {
    const context = createContext({});
    const run = (source: string) => runInContext(transformBlock(source).code, context) as Promise<unknown>;
    await run(
      "const a = 1\nlet b = [a]\nvar c = 'kept'\nclass K { v() { return 7 } }\nfunction twice(x) { return 2 * x }",
    );
    expect(await run("return [a, b, c, new K().v(), twice(a)]")).toEqual([1, [1], "kept", 7, 2]);
    // const again (no redeclaration error), `let b` without a value resets, `var c` keeps.
    await run("const a = 'again'\nlet b\nvar c");
    expect(await run("return [a, b, c]")).toEqual(["again", undefined, "kept"]);
    // A function is callable before its declaration (hoisted) and from later blocks.
    expect(await run("const early = later(1)\nfunction later(x) { return x + 1 }\nreturn early")).toBe(2);
    expect(await run("return later(41)")).toBe(42);
    // Destructuring declares each name.
    await run("const { p, q: [r] } = { p: 'P', q: ['R'] }");
    expect(await run("return p + r")).toBe("PR");
  });

  it("keeps nested declarations local to their block", async () => {
    const context = createContext({});
    await runInContext(transformBlock("{ const inner = 1 }\nfor (let i = 0; i < 2; i++) {}").code, context);
    expect("inner" in context).toBe(false);
    expect("i" in context).toBe(false);
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
