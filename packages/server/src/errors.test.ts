import { ConfigError, LLMProviderError, VectorStoreError } from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import { scrubHostNames, scrubHosts, toApiError } from "./errors.ts";

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

  it("maps a provider's failure by what a client should do: back off (429), retry later (503), or not (502)", () => {
    const limited = toApiError(
      new LLMProviderError("LLM provider error (HTTP 429): slow down", {
        status: 429,
        retryable: true,
        retryAfterMs: 7200,
      }),
    );
    expect(limited.status).toBe(429);
    expect(limited.toBody().error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect(limited.headers?.["retry-after"]).toBe("8");
    const overloaded = toApiError(
      new LLMProviderError("LLM provider error (HTTP 503): overloaded", { status: 503, retryable: true }),
    );
    expect(overloaded.status).toBe(503);
    expect(overloaded.toBody().error.code).toBe("llm_provider_error");
    expect(overloaded.headers?.["retry-after"]).toBe("1");
    const refused = toApiError(
      new LLMProviderError("LLM provider error (HTTP 400): bad request", { status: 400 }),
    );
    expect(refused.status).toBe(502);
    // Only our own stand-in for a missing model is "not configured", whatever the status.
    const missing = toApiError(
      new LLMProviderError("No language model configured: set OPENAI_API_KEY", { status: 503 }),
    );
    expect(missing.status).toBe(503);
    expect(missing.toBody().error.code).toBe("model_not_configured");
    const says = toApiError(
      new LLMProviderError("LLM provider error (HTTP 503): the model is not configured on this node", {
        status: 503,
        retryable: true,
      }),
    );
    expect(says.toBody().error.code).toBe("llm_provider_error");
  });

  it("scrubs IP addresses of both kinds but leaves times and code paths alone", () => {
    const cases: Array<[string, string]> = [
      ["connect ECONNREFUSED ::1:11434", "connect ECONNREFUSED [host]"],
      ["[::1]:8080 down", "[host] down"],
      ["fe80::1%eth0 and 2001:db8::8a2e:370:7334", "[host] and [host]"],
      ["at 12:30:45 today", "at 12:30:45 today"],
      ["std::vector in Foo::bar, ratio 1:2", "std::vector in Foo::bar, ratio 1:2"],
      ["from 10.0.0.5:5432", "from [host]"],
    ];
    for (const [input, output] of cases) expect(scrubHosts(input)).toBe(output);
  });

  it("scrubs bare host names from what a backend wrote, not model ids", () => {
    expect(
      scrubHostNames("upstream gpu-box.corp.example.com unavailable; Host: llm-secret.internal. is not"),
    ).toBe("upstream [host] unavailable; Host: [host] is not");
    const ids = "gpt-4.1, gemini-1.5-pro, llama3.2, qwen2.5:7b, e.g. this";
    expect(scrubHostNames(ids)).toBe(ids);
    const mapped = toApiError(
      new LLMProviderError("LLM provider error (HTTP 502): gpu-box.corp.example.com down"),
    );
    expect(JSON.stringify(mapped.toBody())).not.toContain("corp.example.com");
    const store = toApiError(
      new VectorStoreError("no route to chroma.svc.cluster.local", { store: "chroma" }),
    );
    expect(JSON.stringify(store.toBody())).not.toContain("cluster.local");
  });
});
