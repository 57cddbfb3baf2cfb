import { describe, expect, it } from "vitest";
import { retryAfterMs } from "./retry-after.ts";

describe("retryAfterMs", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(retryAfterMs({ responseHeaders: { "retry-after-ms": "250" } })).toBe(250);
    expect(retryAfterMs({ responseHeaders: { "retry-after": "2" } })).toBe(2000);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs({ responseHeaders: { "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" } }, now)).toBe(
      5000,
    );
    expect(retryAfterMs({ headers: new Headers({ "Retry-After": "1" }) })).toBe(1000);
    expect(retryAfterMs({ responseHeaders: { "retry-after": "soon" } })).toBeUndefined();
    expect(retryAfterMs(new Error("x"))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
