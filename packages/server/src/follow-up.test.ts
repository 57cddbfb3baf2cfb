import { describe, expect, it } from "vitest";
import { followUpContext, MAX_FOLLOW_UP_CHARS } from "./follow-up.ts";

describe("followUpContext", () => {
  it("is the context the request had when nothing followed the question", () => {
    expect(followUpContext([])).toBeUndefined();
    expect(followUpContext(["  ", ""], "given")).toBe("given");
  });

  it("labels the turns after the question, after any context the request had", () => {
    const text = followUpContext(["[assistant]\n[tool calls] x", "[tool output for c1]\n42"], "given")!;
    expect(text.startsWith("given\n\nAfter the question")).toBe(true);
    expect(text.endsWith("[tool calls] x\n\n[tool output for c1]\n42")).toBe(true);
  });

  it("cuts very long tool output, saying so", () => {
    const text = followUpContext(["x".repeat(MAX_FOLLOW_UP_CHARS + 10)])!;
    expect(text.endsWith("\n[… cut]")).toBe(true);
    expect(text.length).toBeLessThan(MAX_FOLLOW_UP_CHARS + 200);
  });
});
