import { ConfigError, LLMProviderError, VectorStoreError } from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import { toApiError } from "./errors.ts";

/** An error as a second copy of @deeprecall/core (another version in node_modules) would throw it. */
function fromAnotherCopy<T extends Error>(error: T): Error {
  const copy = Object.assign(new Error(error.message), { ...error });
  for (const key of Object.getOwnPropertySymbols(error)) {
    (copy as unknown as Record<symbol, unknown>)[key] = (error as unknown as Record<symbol, unknown>)[key];
  }
  Object.setPrototypeOf(copy, Error.prototype);
  return copy;
}

describe("toApiError", () => {
  it("maps core's errors by their markers, also when they come from another copy of the package", () => {
    const cases: Array<[Error, number, string]> = [
      [new ConfigError("topK must be positive", { field: "topK" }), 400, "invalid_value"],
      [new LLMProviderError("upstream 500"), 502, "llm_provider_error"],
      [new VectorStoreError("down", { store: "chroma", retryable: true }), 503, "vector_store_error"],
    ];
    for (const [error, status, code] of cases) {
      const copy = fromAnotherCopy(error);
      expect(copy instanceof (error.constructor as new () => Error)).toBe(false);
      for (const e of [error, copy]) {
        const mapped = toApiError(e);
        expect(mapped.status, error.name).toBe(status);
        expect(mapped.toBody().error.code, error.name).toBe(code);
      }
    }
    expect(toApiError(new ConfigError("x", { field: "filters.$and" })).toBody().error.param).toBe(
      "filters.$and",
    );
  });

  it("passes an engine error's message out without its credentials or backend addresses", () => {
    const mapped = toApiError(
      new LLMProviderError(
        "401 from https://llm.internal:8443/v1 with Bearer sk-proj-abcdefgh12345 (api_key=hunter2)",
      ),
    );
    const text = JSON.stringify(mapped.toBody());
    for (const secret of ["sk-proj-abcdefgh12345", "hunter2", "llm.internal", "8443"])
      expect(text).not.toContain(secret);
    expect(text).toContain("401 from");
  });

  it("never lets an unknown error's message out", () => {
    const mapped = toApiError(new Error("secret at postgres://user:pw@10.0.0.5:5432"));
    expect(mapped.status).toBe(500);
    expect(JSON.stringify(mapped.toBody())).not.toContain("10.0.0.5");
  });
});
