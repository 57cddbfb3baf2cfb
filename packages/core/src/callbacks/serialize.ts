import { redactSecrets } from "../redact-secrets.ts";

/** What a log line says about an error: never its cause chain, request data or stack. */
export interface ErrorDescription {
  name: string;
  message: string;
  code?: string;
  status?: number;
}

export function describeError(error: unknown): ErrorDescription {
  if (error instanceof Error) {
    const { code, status } = error as { code?: unknown; status?: unknown };
    return {
      name: error.name,
      message: redactSecrets(error.message),
      ...(typeof code === "string" ? { code } : {}),
      ...(typeof status === "number" ? { status } : {}),
    };
  }
  return { name: "Error", message: redactSecrets(typeof error === "string" ? error : String(error)) };
}

function sanitize(value: unknown, ancestors: object[]): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (!value || typeof value !== "object") return value;
  if (value instanceof Error) return describeError(value);
  if (typeof AbortSignal !== "undefined" && value instanceof AbortSignal) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return sanitize(toJSON.call(value), ancestors);
  if (ancestors.includes(value)) return "[Circular]";
  ancestors.push(value);
  try {
    if (Array.isArray(value)) return value.map((item) => sanitize(item, ancestors) ?? null);
    if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const clean = sanitize(field, ancestors);
      if (clean !== undefined)
        Object.defineProperty(out, key, {
          value: clean,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

/**
 * JSON for log lines; never throws. Errors become {@link describeError} (no cause, no stack),
 * bigints and non-finite numbers strings, binary data a short note; AbortSignals and functions
 * are dropped and cycles become "[Circular]" (shared, non-cyclic references are written out).
 */
export function toJsonLine(record: Record<string, unknown>): string {
  return JSON.stringify(sanitize(record, []));
}
