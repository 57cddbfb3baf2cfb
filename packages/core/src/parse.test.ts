import { describe, expect, it } from "vitest";
import { extractCodeBlocks, extractPythonBlocks, findFinal, stripCodeBlocks, truncate } from "./parse.ts";

describe("extractCodeBlocks", () => {
  it("returns repl/js/javascript blocks in order and ignores other languages", () => {
    const text =
      "a\n```repl\nconst x = 1\n```\nb\n```python\nx = 1\n```\n```js\nprint(x)\n```\n```javascript\nprint(2)\n```\n```\nplain\n```";
    expect(extractCodeBlocks(text).map((b) => b.code)).toEqual(["const x = 1\n", "print(x)\n", "print(2)\n"]);
    expect(extractPythonBlocks(text)).toEqual(["x = 1\n"]);
  });
});

describe("findFinal", () => {
  it("reads FINAL(answer) with nested parentheses", () => {
    expect(findFinal("Done.\nFINAL(Jane Doe (born 1970) founded it.)")).toEqual({
      kind: "answer",
      answer: "Jane Doe (born 1970) founded it.",
    });
  });

  it("strips quotes and reads unclosed FINAL to the end", () => {
    expect(findFinal('FINAL("quoted \\"answer\\"")')).toEqual({ kind: "answer", answer: 'quoted "answer"' });
    expect(findFinal("FINAL(never closed")).toEqual({ kind: "answer", answer: "never closed" });
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

describe("truncate", () => {
  it("says how much was cut", () => {
    expect(truncate("abcdef", 3)).toBe("abc\n[output truncated: 3 more characters]");
    expect(truncate("abc", 3)).toBe("abc");
  });
});
