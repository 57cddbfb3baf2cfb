import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import { decodeTokenInput } from "./token-input.ts";

describe("decodeTokenInput", () => {
  it("decodes cl100k_base token ids back to the text they encode", async () => {
    // "Hello world, naïve café ✓" in cl100k_base (tiktoken).
    const ids = [9906, 1917, 11, 95980, 588, 53050, 53475];
    expect(await decodeTokenInput([ids, [9906]], ["input[0]", "input[1]"])).toEqual([
      "Hello world, naïve café ✓",
      "Hello",
    ]);
  });

  it("refuses an id that is not an integer id of cl100k_base, naming the element", async () => {
    for (const [tokens, param] of [
      [[9906, 100_277], "input[1]"],
      [[-1], "input[0]"],
      [[1.5], "input[0]"],
    ] as const) {
      const error = await decodeTokenInput([[...tokens]], ["input"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect([(error as ApiError).status, (error as ApiError).param]).toEqual([400, param]);
    }
  });
});
