import type { McpHttpOptions } from "@deeprecall/mcp";
import type { RateLimiterOptions } from "@deeprecall/middleware";
import type { HttpTracingOptions, Metrics } from "@deeprecall/observability";
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
  /**
   * Prometheus metrics at `GET /metrics` (behind auth unless "/metrics" is in `exemptPaths`):
   * `true` creates them, or pass your own `createMetrics()` result (e.g. to add metrics or share
   * a registry). The engine's runs, tokens and search-cache hits are counted when the engine
   * accepts callbacks (`DeepRecallEngine.addCallback`). Default off.
   */
  metrics?: boolean | Metrics;
  /**
   * An OpenTelemetry SERVER span per request (via `@hono/otel`): `true` uses the global tracer
   * provider; an object picks the tracer / provider. Default off.
   */
  tracing?: boolean | HttpTracingOptions;
  /**
   * Serve MCP (Streamable HTTP) at `/mcp` with the tools `search` and `ask`, behind the same
   * auth and rate limit as the rest. `true` uses defaults. Default off.
   */
  mcp?: boolean | McpHttpOptions;
}
