import { describe, expect, it } from "vitest";
import { errorFromBody } from "./api.ts";

describe("errorFromBody", () => {
  it("keeps the server's message", () => {
    const e = errorFromBody(400, JSON.stringify({ error: { message: "Bad thing", code: "bad" } }));
    expect(e).toMatchObject({ status: 400, message: "Bad thing", code: "bad" });
  });

  it("says a 413 in MiB and what to do, not in bytes", () => {
    const e = errorFromBody(
      413,
      JSON.stringify({
        error: {
          message: "Upload too large: the limit is 52428800 bytes per request (all files together).",
          code: "request_too_large",
        },
      }),
    );
    expect(e.message).toBe(
      "Too large for this server. It accepts at most 50 MiB in one request (all the files of an upload together): send fewer or smaller files at a time.",
    );
    expect(e.message).not.toContain("52428800");
    expect(e.code).toBe("request_too_large");
  });
});
