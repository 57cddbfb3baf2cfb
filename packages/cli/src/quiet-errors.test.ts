import { afterEach, describe, expect, it } from "vitest";
import { installQuietErrors, withoutStack } from "./quiet-errors.ts";

describe("no stack traces without --debug", () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("folds errors and stack-carrying text to one line", () => {
    const error = new TypeError("stream ended\nwithout a finish reason");
    expect(withoutStack([error])).toBe("TypeError: stream ended without a finish reason");
    expect(withoutStack([`AI_Error: boom\n    at foo (file.js:1:2)\n    at bar (file.js:3:4)`])).toBe(
      "AI_Error: boom",
    );
    expect(withoutStack([{ message: "plain object" }])).toBe("plain object");
  });

  it("console.error/console.warn print one line; uncaught errors print one line and exit 1", () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const listenersBefore = process.listenerCount("unhandledRejection");
    restore = installQuietErrors({ write: (l) => lines.push(l), exit: (c) => exits.push(c) });
    const error = new Error("No output generated. Check the stream for errors.");
    error.name = "AI_NoOutputGeneratedError";
    console.error(error);
    console.warn("AI SDK Warning: something");
    process.emit("unhandledRejection", new Error("late failure"), Promise.resolve());
    expect(lines).toEqual([
      "error: AI_NoOutputGeneratedError: No output generated. Check the stream for errors.",
      "warning: AI SDK Warning: something",
      "error: late failure",
    ]);
    expect(lines.join("\n")).not.toMatch(/\n\s+at /);
    expect(exits).toEqual([1]);
    restore();
    restore = undefined;
    expect(process.listenerCount("unhandledRejection")).toBe(listenersBefore);
  });

  it("labels the process warnings Node prints through console.error as warnings", () => {
    const lines: string[] = [];
    restore = installQuietErrors({ write: (l) => lines.push(l), exit: () => {} });
    console.error(
      `(node:4242) Warning: AI SDK Warning (openai-compatible): The feature "responseFormat" is not supported.`,
    );
    console.error("(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.");
    console.error("(node:4242) something else broke");
    // A server repeats the same warning on every request: it is printed once. Errors are not deduplicated.
    console.error(
      `(node:4242) Warning: AI SDK Warning (openai-compatible): The feature "responseFormat" is not supported.`,
    );
    console.warn("AI SDK Warning: repeated");
    console.warn("AI SDK Warning: repeated");
    console.error("(node:4242) something else broke");
    expect(lines).toEqual([
      `warning: (node:4242) Warning: AI SDK Warning (openai-compatible): The feature "responseFormat" is not supported.`,
      "warning: (node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.",
      "error: (node:4242) something else broke",
      "warning: AI SDK Warning: repeated",
      "error: (node:4242) something else broke",
    ]);
  });
});
