import type { Context } from "hono";

/** The paths that skip auth and rate limiting unless told otherwise. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = ["/health", "/docs", "/openapi.json"];

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    [extra: string]: unknown;
  };
}

export function openAIError(
  message: string,
  type: string,
  code: string | null,
  extra?: Record<string, unknown>,
): OpenAIErrorBody {
  return { error: { message, type, param: null, code, ...extra } };
}

/**
 * True when `path` is one of `exemptPaths` or below one of them ("/docs" also covers
 * "/docs/"). A trailing slash on the request path is ignored.
 */
export function isExemptPath(path: string, exemptPaths: readonly string[]): boolean {
  const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  for (const exempt of exemptPaths) {
    if (normalized === exempt || normalized.startsWith(exempt.endsWith("/") ? exempt : `${exempt}/`)) {
      return true;
    }
  }
  return false;
}

/**
 * The client's address as the Node.js adapter (`@hono/node-server`) sees it, read the same way
 * its `getConnInfo` helper does, without depending on that adapter. Undefined elsewhere.
 */
export function nodeRemoteAddress(c: Context): string | undefined {
  const env = c.env as
    | {
        incoming?: { socket?: { remoteAddress?: string } };
        server?: { incoming?: { socket?: { remoteAddress?: string } } };
      }
    | undefined;
  const bindings = env?.server ?? env;
  return bindings?.incoming?.socket?.remoteAddress ?? undefined;
}

/** Extracts the token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
