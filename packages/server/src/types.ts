import type { DeepRecallEngineApi, Embedding, QueryBudget } from "@deeprecall/core";
import type { McpHttpOptions } from "@deeprecall/mcp";
import type { AuthThrottleOptions, RateLimiterOptions } from "@deeprecall/middleware";
import type { HttpTracingOptions, Metrics } from "@deeprecall/observability";
import type { cors } from "hono/cors";
import type { ResponseStoreOptions } from "./response-store.ts";
import type { TaskDetector } from "./task.ts";

export interface ServerLogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  requestId?: string | undefined;
  method?: string;
  path?: string;
  status?: number;
  /** Total time: for a stream, until it ended (last byte or client disconnect). */
  durationMs?: number;
  /**
   * How the request ended (request lines): "completed", "client disconnected, run aborted", or
   * "failed: <reason>".
   */
  outcome?: string;
  /** "task" when the request went to the task model (one direct model call). */
  route?: string;
  /** The error status a stream sent after its 200 went out. */
  errorStatus?: number;
  /** The original error (server-side only; never sent to clients). */
  error?: unknown;
}

/** Receives the server's log entries. Entries never contain API keys or request bodies. */
export type ServerLogger = (entry: ServerLogEntry) => void;

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

/**
 * Several collections behind one server (`createApp(engine, { collections })`): each collection
 * is served as the model `<modelName>/<collection>` (e.g. `deeprecall/contracts`), the default
 * one (whose engine is `createApp`'s first argument) as `<modelName>` itself. Chat completions,
 * responses and completions pick the engine by `model`; the document and search endpoints by
 * their `collection` field or query parameter.
 */
export interface ServedCollections {
  /** The name of the collection `createApp`'s engine answers from: served as plain `<modelName>`. */
  defaultName: string;
  /**
   * Every collection with its document count, e.g. `[{ name: "a", count: 12 }]` (sorted or not;
   * the default one may be missing when it holds nothing yet). Read by `GET /v1/models` and for
   * the list of served ids in 404s; a failure is a 502/503 like any store failure.
   */
  list(): Promise<Array<{ name: string; count: number }>>;
  /**
   * The engine of collection `name` (called for names other than `defaultName`), or undefined
   * when there is no such collection (the request then gets a 404: `model_not_found` for a
   * model, `collection_not_found` for a `collection`). With `{ create: true }` (`POST
   * /v1/documents` into a new collection) it should create the collection rather than answer
   * undefined. Engines are the implementer's to cache (one per collection) and to close. A
   * `ConfigError` (e.g. an invalid collection name) becomes a 400. Engines of different
   * collections that share a cache must have stores with distinct `name`s: the store name is
   * part of every cache key.
   */
  engineFor(name: string, options?: { create?: boolean }): Promise<DeepRecallEngineApi | undefined>;
}

/** Where the web console's built files are (see `CreateAppOptions.console`). */
export interface ConsoleOptions {
  /** Absolute path of the directory holding `index.html` and the bundled assets. */
  assetsDir: string;
}

export interface CreateAppOptions {
  /** Accepted Bearer keys. With neither this nor `validateKey`, the API is open. */
  apiKeys?: string[];
  /** Custom key check, sync or async; a key passes if it is in `apiKeys` or this returns true. */
  validateKey?: (key: string) => boolean | Promise<boolean>;
  /** Requests per minute per key (per IP without auth), or full rate limiter options. */
  rateLimit?: number | RateLimiterOptions;
  /** Paths that skip auth and rate limiting. Default ["/health", "/docs", "/openapi.json"]. */
  exemptPaths?: string[];
  /**
   * CORS. `true` or "*" allows any origin; a string or a list allows exactly those origins (e.g.
   * `["https://app.example.com"]`); an object is passed to Hono's `cors()`. Preflights are
   * allowed the headers the browser asks for (unless `allowHeaders` is given) and
   * `x-request-id`, `retry-after` and the rate-limit headers are exposed. Default off.
   */
  cors?: boolean | string | string[] | CorsOptions;
  /**
   * Failed-authentication throttling per client address (with auth on): a burst of 401s, then
   * 429 + Retry-After. Default `{ burst: 10, perMinute: 30 }`, counted in the rate limiter's
   * store when it has one (e.g. Redis), else in memory. `false` turns it off.
   */
  authThrottle?: false | AuthThrottleOptions;
  /**
   * How many reverse proxies (nginx, a load balancer) in front of the server append the address
   * they saw to `X-Forwarded-For`. The failed-auth throttle and the rate limiter's per-address
   * buckets then key on the address the outermost trusted proxy added (entries further left
   * were written by the client and are ignored). Default 0: the header is ignored and every
   * client behind a proxy shares its address. A whole number, 0-10.
   */
  trustProxy?: number;
  /**
   * The embedding model served at POST /v1/embeddings: an AI SDK `EmbeddingModel` or a function
   * `(texts) => vectors`, normally the one the vector store embeds with. Without it,
   * /v1/embeddings answers 400 `embeddings_not_configured`.
   */
  embedding?: Embedding;
  /**
   * The model id /v1/embeddings answers to (and /v1/models lists). Default: the embedding
   * model's own `modelId`, else "<modelName>-embedding".
   */
  embeddingModelName?: string;
  /**
   * Serve several collections: `createApp`'s engine answers for the default collection (model
   * `<modelName>`), `collections.engineFor(name)` for model `<modelName>/<name>`. Without it the
   * server serves the one engine and refuses any `collection` with a 404.
   */
  collections?: ServedCollections;
  /** Largest accepted request body; bigger ones get 413. Default 1 MiB. */
  bodyLimitBytes?: number;
  /**
   * Largest accepted `POST /v1/documents/upload` request (all its files together), in bytes;
   * bigger ones get 413. `bodyLimitBytes` does not apply to uploads. Default 50 MiB.
   */
  uploadLimitBytes?: number;
  /**
   * Largest file `POST /v1/documents/upload` ingests, in bytes: a larger one is rejected with
   * its reason while the other files of the request are ingested. Default 20 MiB (as
   * `deeprecall ingest --max-file-size`).
   */
  maxFileSize?: number;
  /**
   * The chunking of uploads when a request does not set `chunk_size` / `chunk_overlap`, in
   * characters (as `deeprecall ingest --chunk-size/--chunk-overlap`). Default 1000 and 200 (a
   * fifth of a smaller size).
   */
  uploadChunking?: { chunkSize?: number; chunkOverlap?: number };
  /** The model id clients see in /v1/models and responses. Default "deeprecall". */
  modelName?: string;
  /**
   * The Responses API's stored responses, kept in this process's memory: each finished
   * (completed, incomplete or failed) response whose request did not say `store: false`, with
   * its input items, for `GET`/`DELETE /v1/responses/{id}`, `GET /v1/responses/{id}/input_items`,
   * `previous_response_id` and `item_reference`s, visible only to the API key that created it.
   * Bounded: at most `maxResponses` responses (default 1000) and `maxBytes` bytes of their JSON
   * (default 64 MiB), the least recently used going first. Replicas do not share it. `false`
   * keeps nothing: responses then say `store: false` and `previous_response_id` is a 400.
   */
  responseStore?: false | ResponseStoreOptions;
  /** Stream progress as `delta.reasoning_content`. Default true. */
  reasoningStream?: boolean;
  /** SSE keep-alive comment interval during silences, in ms (0 disables). Default 15000. */
  keepAliveMs?: number;
  /**
   * Limits every chat, responses and completions request (and `/mcp`'s `ask`) runs under, on
   * top of the engine's own `budget` (the tighter limit wins). A request's `deeprecall.budget` can
   * lower them, never raise them. When neither this nor the engine's budget sets
   * `maxTimeSeconds`, a request gets `DEFAULT_MAX_TIME_SECONDS` (300 s). Default: none beyond the
   * engine's.
   */
  budget?: QueryBudget;
  /**
   * The task model's id (listed by /v1/models): chat requests to it are passed straight to the
   * engine's model — one call, no retrieval, the model's own answer (`stream`, `response_format`,
   * `max_tokens`/`max_completion_tokens`, `stop`, `temperature` honoured). Set it as the "Task
   * Model" of a chat UI. Needs an engine with `complete()` (`DeepRecallEngine`); otherwise no task
   * model is served. Default "<modelName>-task" ("deeprecall-task"); `false` serves none.
   */
  taskModel?: string | false;
  /**
   * Routes chat UIs' housekeeping requests sent to the chat model (Open WebUI's `### Task:`
   * prompts for titles, tags, follow-ups, search queries and autocomplete; LibreChat's title
   * requests) to the task model. `true` (default) uses the built-in detector, `{ detect }` your
   * own `(messages: { role, content }[]) => boolean`, `false` turns routing off (the task model
   * is still served by its id).
   */
  taskRouting?: boolean | { detect?: TaskDetector };
  /**
   * Set when the engine has no usable language model (the CLI's `serve` without an API key): why,
   * and what to set. Chat completions, responses and completions (the task model too) then answer
   * 503 `model_not_configured` with this message at once, streaming or not, after the request is
   * validated and its `model` resolved; documents, search, embeddings and everything else keep
   * working. Default: unset (the engine's model is used).
   */
  modelUnavailable?: string;
  /**
   * The public base URL of this server (e.g. "https://recall.example.com"), for the citation
   * links of sources without their own http(s) `metadata.url`: `<publicUrl>/v1/documents/<id>`.
   * Default: the origin of each request.
   */
  publicUrl?: string;
  /**
   * The web console (`@deeprecall/console`): `{ assetsDir }`, the directory of its built files
   * (`consoleAssetsDir` from that package), served at `/` (index.html) and its files by name,
   * without auth — they hold no data; the console asks for a key and sends it with every API call.
   * Citation links then open the console's document view. Default: not served.
   */
  console?: ConsoleOptions | false;
  /**
   * Log hook: one line per request (`info`; `warn`/`error` with the original error when it
   * failed) with its id, status, total time and outcome, written when the response has ended.
   * Default: silent.
   */
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
