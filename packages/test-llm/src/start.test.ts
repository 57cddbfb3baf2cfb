import { describe, expect, it } from "vitest";
import { threadsFromEnv } from "./start.ts";

describe("threads from the environment", () => {
  it("reads DEEPRECALL_TEST_LLM_THREADS, unset means the default, a bad value throws", () => {
    expect(threadsFromEnv({})).toBeUndefined();
    expect(threadsFromEnv({ DEEPRECALL_TEST_LLM_THREADS: "1" })).toBe(1);
    expect(() => threadsFromEnv({ DEEPRECALL_TEST_LLM_THREADS: "0" })).toThrow(/expected a positive integer/);
    expect(() => threadsFromEnv({ DEEPRECALL_TEST_LLM_THREADS: "two" })).toThrow(/got "two"/);
  });
});
