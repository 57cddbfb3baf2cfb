import { describe, expect, it } from "vitest";
import { requestLine } from "./request-line.ts";

const base = {
  level: "info" as const,
  msg: "request",
  method: "POST",
  path: "/v1/chat/completions",
  requestId: "req-1",
};

describe("requestLine", () => {
  it("names status, total time, id and a completed outcome", () => {
    expect(requestLine({ ...base, status: 200, durationMs: 1642, outcome: "completed" })).toBe(
      "POST /v1/chat/completions → 200 (1642 ms) [req-1] completed",
    );
  });

  it("says when the client left and the run was aborted", () => {
    expect(
      requestLine({ ...base, status: 200, durationMs: 320, outcome: "client disconnected, run aborted" }),
    ).toBe("POST /v1/chat/completions → 200 (320 ms) [req-1] client disconnected, run aborted");
  });

  it("gives the error status a stream sent after its 200, and the reason", () => {
    expect(
      requestLine({
        ...base,
        level: "error",
        status: 200,
        errorStatus: 502,
        durationMs: 900,
        outcome: "failed: The model backend failed",
      }),
    ).toBe(
      "POST /v1/chat/completions → 200, 502 in stream (900 ms) [req-1] failed: The model backend failed",
    );
  });

  it("marks requests the task model answered", () => {
    expect(requestLine({ ...base, status: 200, durationMs: 80, outcome: "completed", route: "task" })).toBe(
      "POST /v1/chat/completions (task model) → 200 (80 ms) [req-1] completed",
    );
  });
});
