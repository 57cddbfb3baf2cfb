import { describe, expect, it } from "vitest";
import { networkError } from "./__fixtures__/provider-errors.ts";
import { isNetworkError, networkCode } from "./network-error.ts";

describe("isNetworkError", () => {
  it("finds a transient code or message in the error, its cause chain or an AggregateError", () => {
    expect(isNetworkError(networkError("ECONNREFUSED"))).toBe(true);
    expect(isNetworkError(Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }))).toBe(true);
    expect(isNetworkError(new Error("socket hang up"))).toBe(true);
    expect(isNetworkError(new AggregateError([Object.assign(new Error("x"), { code: "ETIMEDOUT" })]))).toBe(
      true,
    );
  });

  it("is false for other errors, and stops at a deep cause chain", () => {
    expect(isNetworkError(new Error("boom"))).toBe(false);
    expect(isNetworkError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    let deep: unknown = Object.assign(new Error("x"), { code: "ECONNRESET" });
    for (let i = 0; i < 10; i++) deep = new Error("wrapper", { cause: deep });
    expect(isNetworkError(deep)).toBe(false);
  });
});

describe("networkCode", () => {
  it("is the transient code on the error or in its cause chain", () => {
    expect(networkCode(networkError("ECONNRESET"))).toBe("ECONNRESET");
    expect(networkCode(new Error("x"))).toBeUndefined();
  });
});
