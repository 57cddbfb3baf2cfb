import { describe, expect, it } from "vitest";
import {
  extractCodeBlocks,
  extractPythonBlocks,
  findFinal,
  MAX_FINAL_CHARS,
  stripCodeBlocks,
} from "./parse.ts";

describe("extractCodeBlocks", () => {
  it("returns repl/js/javascript blocks in order and ignores other languages", () => {
    const text =
      "a\n```repl\nconst x = 1\n```\nb\n```python\nx = 1\n```\n```js\nprint(x)\n```\n```javascript\nprint(2)\n```\n```\nplain\n```";
    expect(extractCodeBlocks(text).map((b) => b.code)).toEqual(["const x = 1\n", "print(x)\n", "print(2)\n"]);
    expect(extractCodeBlocks(text).every((b) => b.closed)).toBe(true);
    expect(extractPythonBlocks(text)).toEqual(["x = 1\n"]);
  });
});

describe("findFinal", () => {
  it("reads FINAL(answer) with nested parentheses", () => {
    expect(findFinal("Done.\nFINAL(Jane Doe (born 1970) founded it.)")).toEqual({
      kind: "answer",
      answer: "Jane Doe (born 1970) founded it.",
      closed: true,
    });
  });

  it("strips quotes and reads unclosed FINAL to the end", () => {
    expect(findFinal('FINAL("quoted \\"answer\\"")')).toEqual({
      kind: "answer",
      answer: 'quoted "answer"',
      closed: true,
    });
    expect(findFinal("FINAL(never closed")).toEqual({
      kind: "answer",
      answer: "never closed",
      closed: false,
    });
    // The balancing parenthesis closes it, not the first one.
    expect(findFinal("FINAL(Berg (born 1950")).toEqual({
      kind: "answer",
      answer: "Berg (born 1950",
      closed: false,
    });
  });

  it("reads FINAL_VAR(name) and ignores FINAL inside code", () => {
    expect(findFinal("```repl\nFINAL('in code')\n```\nFINAL_VAR(result)")).toEqual({
      kind: "var",
      name: "result",
    });
    expect(findFinal("```repl\nFINAL('in code')\n```")).toBeNull();
    expect(findFinal("no directive here; MY_FINAL(x) is not one")).toBeNull();
  });

  it("strips code blocks", () => {
    expect(stripCodeBlocks("a```repl\nx\n```b")).toBe("ab");
  });
});

describe("unclosed fences", () => {
  const cut = "Let me look.\n```javascript\nfoo(1);\n}, FINAL(answer));";

  it("an unclosed trailing fence is code: it runs to the end of the reply", () => {
    expect(extractCodeBlocks(cut)).toEqual([
      { lang: "javascript", code: "foo(1);\n}, FINAL(answer));", closed: false },
    ]);
    expect(extractCodeBlocks("```repl\nprint(1)\n```\nthen\n```js\nprint(2)")).toEqual([
      { lang: "repl", code: "print(1)\n", closed: true },
      { lang: "js", code: "print(2)", closed: false },
    ]);
  });

  it("never reads FINAL( out of an unclosed fence", () => {
    expect(findFinal(cut)).toBeNull();
    expect(findFinal("FINAL(real answer)\n```js\nFINAL(other)")).toEqual({
      kind: "answer",
      answer: "real answer",
      closed: true,
    });
    // An unclosed fence inside an unclosed FINAL: the answer is what came before the fence.
    expect(findFinal("FINAL(Oslo, see\n```js\nprint(1)")).toEqual({
      kind: "answer",
      answer: "Oslo, see",
      closed: false,
    });
    expect(stripCodeBlocks(cut)).toBe("Let me look.\n");
  });

  it("caps FINAL in prose at MAX_FINAL_CHARS", () => {
    const found = findFinal(`FINAL(${"a".repeat(MAX_FINAL_CHARS + 500)})`);
    expect(found).toEqual({ kind: "answer", answer: "a".repeat(MAX_FINAL_CHARS), closed: true });
  });
});
