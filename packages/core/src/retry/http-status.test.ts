import { describe, expect, it } from "vitest";
import { isTransientStatus, statusOf } from "./http-status.ts";

describe("statusOf", () => {
  it("reads statusCode (AI SDK) or status, only when it is a valid HTTP status", () => {
    expect(statusOf({ statusCode: 429 })).toBe(429);
    expect(statusOf({ status: 503 })).toBe(503);
    expect(statusOf({ statusCode: 502, status: 400 })).toBe(502);
    expect(statusOf({ status: "503" })).toBeUndefined();
    expect(statusOf({ status: 42 })).toBeUndefined();
    expect(statusOf({ status: 500.5 })).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
    expect(statusOf("503")).toBeUndefined();
  });
});

describe("isTransientStatus", () => {
  it("is true for 408, 429 and 5xx except 501 and 505", () => {
    for (const status of [408, 429, 500, 502, 503, 504, 529]) expect(isTransientStatus(status)).toBe(true);
    for (const status of [200, 400, 401, 404, 422, 501, 505]) expect(isTransientStatus(status)).toBe(false);
  });
});
