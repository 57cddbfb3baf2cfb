import type { RateLimiterOptions } from "@deeprecall/middleware";
import type { cors } from "hono/cors";

export interface ServerLogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  requestId?: string | undefined;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  /** The original error (server-side only; never sent to clients). */
  error?: unknown;
}

/** Receives the server's log entries. Entries never contain API keys or request bodies. */
export type ServerLogger = (entry: ServerLogEntry) => void;

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

export interface CreateAppOptions {
  /** Accepted Bearer keys. With neither this nor `validateKey`, the API is open. */
  apiKeys?: string[];
  /** Custom key check, sync or async; a key passes if it is in `apiKeys` or this returns true. */
  validateKey?: (key: string) => boolean | Promise<boolean>;
  /** Requests per minute per key (per IP without auth), or full rate limiter options. */
  rateLimit?: number | RateLimiterOptions;
  /** Paths that skip auth and rate limiting. Default ["/health", "/docs", "/openapi.json"]. */
  exemptPaths?: string[];
  /** `true` allows any origin; an object is passed to Hono's `cors()`. Default off. */
  cors?: boolean | CorsOptions;
  /** Largest accepted request body; bigger ones get 413. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** The model id clients see in /v1/models and responses. Default "deeprecall". */
  modelName?: string;
  /** Stream progress as `delta.reasoning_content`. Default true. */
  reasoningStream?: boolean;
  /** SSE keep-alive comment interval during silences, in ms (0 disables). Default 15000. */
  keepAliveMs?: number;
  /** Log hook (request lines at "info", failures at "warn"/"error"). Default: silent. */
  logger?: ServerLogger;
}
