/** The HTTP status an error carries (`statusCode` as the AI SDK has it, or `status`), when valid. */
export function statusOf(error: unknown): number | undefined {
  if (!error || typeof error !== "object") return undefined;
  const record = error as { statusCode?: unknown; status?: unknown };
  const status = typeof record.statusCode === "number" ? record.statusCode : record.status;
  return typeof status === "number" && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

/** Transient HTTP statuses: timeout, rate limit, and server errors except "not implemented"-type ones. */
export function isTransientStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505)
  );
}
