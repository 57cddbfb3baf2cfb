import { describe, expect, it } from "vitest";
import { AbortError } from "./abort-error.ts";
import { BudgetExceededError } from "./budget-exceeded-error.ts";
import { ConfigError } from "./config-error.ts";
import { DeepRecallError } from "./deeprecall-error.ts";
import { LLMProviderError } from "./llm-provider-error.ts";
import { SandboxError } from "./sandbox-error.ts";
import { ServiceUnavailableError } from "./service-unavailable-error.ts";
import { VectorStoreError } from "./vector-store-error.ts";

const family = [
  { Class: LLMProviderError, make: () => new LLMProviderError("x", { status: 502 }) },
  { Class: VectorStoreError, make: () => new VectorStoreError("x", { store: "local" }) },
  { Class: BudgetExceededError, make: () => new BudgetExceededError("maxTokens") },
  { Class: SandboxError, make: () => new SandboxError("x") },
  { Class: ConfigError, make: () => new ConfigError("x", { field: "topK" }) },
  { Class: ServiceUnavailableError, make: () => new ServiceUnavailableError("x") },
  { Class: AbortError, make: () => new AbortError() },
] as const;

/**
 * An error as another copy of `@deeprecall/core` builds it: a different class (so `instanceof`
 * fails) carrying the same `Symbol.for` markers.
 */
function fromSecondCopy(...names: string[]): Error {
  class ForeignError extends Error {}
  const error = new ForeignError("from another copy of @deeprecall/core");
  for (const name of names)
    Object.defineProperty(error, Symbol.for(`deeprecall.error.${name}`), { value: true });
  return error;
}

describe("error markers and isInstance", () => {
  for (const { Class, make } of family) {
    describe(Class.name, () => {
      it("is recognised by its own isInstance and DeepRecallError.isInstance", () => {
        const error = make();
        expect(Class.isInstance(error)).toBe(true);
        expect(DeepRecallError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe(Class.name);
        expect(
          (error as unknown as Record<symbol, unknown>)[Symbol.for(`deeprecall.error.${Class.name}`)],
        ).toBe(true);
      });

      it("recognises an error built by a second copy of the package (same marker, other class)", () => {
        const foreign = fromSecondCopy("DeepRecallError", Class.name);
        expect(foreign instanceof Class).toBe(false);
        expect(Class.isInstance(foreign)).toBe(true);
        expect(DeepRecallError.isInstance(foreign)).toBe(true);
      });

      it("is not fooled by the other kinds, plain errors or non-objects", () => {
        for (const other of family)
          if (other.Class !== Class) expect(Class.isInstance(other.make())).toBe(false);
        expect(Class.isInstance(new Error("x"))).toBe(false);
        expect(Class.isInstance(new DeepRecallError("x"))).toBe(false);
        expect(Class.isInstance(fromSecondCopy("DeepRecallError"))).toBe(false);
        for (const value of [null, undefined, "LLMProviderError", 42, {}])
          expect(Class.isInstance(value)).toBe(false);
      });
    });
  }

  it("a marker must be exactly true", () => {
    const error = new Error("x");
    Object.defineProperty(error, Symbol.for("deeprecall.error.DeepRecallError"), { value: "yes" });
    expect(DeepRecallError.isInstance(error)).toBe(false);
    expect(DeepRecallError.isInstance({ [Symbol.for("deeprecall.error.DeepRecallError")]: true })).toBe(true);
  });

  it("keeps code, cause and the fields of each kind", () => {
    const cause = new Error("root");
    const error = new LLMProviderError("down", { status: 503, retryable: true, cause });
    expect(error).toMatchObject({ code: "llm_provider_error", status: 503, retryable: true, cause });
    expect(new DeepRecallError("x").code).toBe("deeprecall_error");
    expect(new VectorStoreError("x", { writtenIds: ["a"] }).writtenIds).toEqual(["a"]);
    expect(new BudgetExceededError("maxTokens").message).toBe("Budget exceeded: maxTokens");
  });
});
