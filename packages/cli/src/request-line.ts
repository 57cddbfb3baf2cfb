import type { LogEntry } from "./server-runner.ts";

/**
 * The `serve` console line of one request log entry (`msg: "request"`): method, path, status,
 * total time in ms (for a stream: until its last byte or the client's disconnect), request id,
 * and how it ended, e.g.
 * `POST /v1/chat/completions → 200, 502 in stream (1642 ms) [req-1] failed: model backend error`.
 * Requests served by the task model say so. Entries never carry keys or bodies.
 */
export function requestLine(entry: LogEntry): string {
  const errorStatus = typeof entry.errorStatus === "number" ? `, ${entry.errorStatus} in stream` : "";
  const route = entry.route === "task" ? " (task model)" : "";
  const outcome = typeof entry.outcome === "string" ? ` ${entry.outcome}` : "";
  return `${String(entry.method)} ${String(entry.path)}${route} → ${String(entry.status)}${errorStatus} (${String(entry.durationMs)} ms) [${String(entry.requestId)}]${outcome}`;
}
