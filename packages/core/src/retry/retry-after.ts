function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name && typeof value === "string") return value;
  }
  return undefined;
}

/**
 * The wait a server asked for (`retry-after-ms`, or `retry-after` in seconds or as an HTTP date),
 * in ms, when the error carries response headers; else undefined.
 */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  const headers =
    (error as { responseHeaders?: unknown } | null)?.responseHeaders ??
    (error as { headers?: unknown } | null)?.headers;
  const ms = Number.parseFloat(headerValue(headers, "retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headerValue(headers, "retry-after");
  if (raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
