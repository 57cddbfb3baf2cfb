import { existsSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { consoleAssetsDir } from "@deeprecall/console";
import { getErrorMessage, plural } from "@deeprecall/core";
import {
  createApp,
  type ServedCollections,
  type ServerLogEntry,
  startServer as serveApp,
} from "@deeprecall/server";
import type { Composition } from "./compose.ts";
import type { DeepRecallConfig, ResolvedConfig } from "./config/index.ts";

export interface LogEntry {
  level: "info" | "warn" | "error";
  msg: string;
  [field: string]: unknown;
}

export interface StartServerOptions {
  host: string;
  port: number;
  apiKeys?: string[];
  rateLimit?: number;
  /** Reverse proxies in front of the server that append to X-Forwarded-For (createApp's `trustProxy`). */
  trustProxy?: number;
  /** CORS: the browser origins allowed to call the API, or `true` for any origin. Default off. */
  cors?: string[] | true;
  /** Serve the web console (`@deeprecall/console`) at `/`. Default true. */
  console?: boolean;
  /** Serve Prometheus metrics at GET /metrics. */
  metrics?: boolean;
  /** Serve MCP (Streamable HTTP) at /mcp. */
  mcp?: boolean;
  /**
   * Serve every collection of the store, each as the model `deeprecall/<collection>` (the
   * composition's own collection as `deeprecall`); engines are made on first use. Default true;
   * false serves only the composition's collection.
   */
  collections?: boolean;
  /** Route chat UIs' housekeeping requests to the task model. Default true. */
  taskRouting?: boolean;
  /** The task model's id, or false for none. Default "deeprecall-task". */
  taskModel?: string | false;
  /** Public base URL for citation links. Default: each request's origin. */
  publicUrl?: string;
  /**
   * Keep Responses API responses (createApp's `responseStore`, its default bounds) for
   * `previous_response_id` and `GET /v1/responses/{id}`. Default true; false keeps none.
   */
  storeResponses?: boolean;
  /** The largest JSON request body, in bytes (`createApp`'s `bodyLimitBytes`). Default 1 MiB. */
  bodyLimit?: number;
  /** Uploads (`POST /v1/documents/upload`): the largest file in bytes and the chunking, as `deeprecall ingest`. */
  upload?: { maxFileSize: number; chunkSize: number; chunkOverlap: number };
  /**
   * How long in-flight requests may run after SIGTERM/SIGINT before connections are cut. Default
   * 30 s. Streams still open 1 s before it ends (at once when it is shorter) are ended with an
   * OpenAI error `server_shutting_down` (then `[DONE]`; Responses: `error`, `response.failed`)
   * and their runs aborted, so no client is left with a cut-off stream.
   */
  gracePeriodMs?: number;
  /** Structured log sink: one entry per request (with its request id), failures, shutdown. */
  log?: (entry: LogEntry) => void;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully and exit. Default true. */
  handleSignals?: boolean;
  /** Called once when shutdown starts, before the server stops accepting connections. */
  onShutdown?: () => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8000 */
  url: string;
  port: number;
  server: Server;
  /** Whether the web console is served at `url` + "/". */
  console: boolean;
  /** Stop accepting, let in-flight requests finish within the grace period, close the engine and store. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * The server settings of a configuration (`serve` and apps/server): address, API keys, CORS, rate
 * limit, metrics, MCP, task model and routing, public URL, and which collections to serve.
 * `--cors "*"` (alone or in the list) means any origin. Every collection is served unless
 * `--collection` (or DEEPRECALL_COLLECTION) names one, per `sources`; a `collection` in
 * deeprecall.toml only names the default one.
 */
export function serverOptionsFromConfig(
  config: DeepRecallConfig,
  sources: ResolvedConfig["sources"] = {},
): Pick<
  StartServerOptions,
  | "host"
  | "port"
  | "apiKeys"
  | "rateLimit"
  | "trustProxy"
  | "cors"
  | "console"
  | "metrics"
  | "mcp"
  | "collections"
  | "taskRouting"
  | "taskModel"
  | "publicUrl"
  | "bodyLimit"
  | "upload"
  | "storeResponses"
> {
  const limited = sources.collection?.kind === "flag" || sources.collection?.kind === "environment";
  return {
    host: config.host,
    port: config.port,
    ...(config.apiKeys ? { apiKeys: config.apiKeys } : {}),
    ...(config.cors ? { cors: config.cors.includes("*") ? true : config.cors } : {}),
    ...(config.rateLimit !== undefined ? { rateLimit: config.rateLimit } : {}),
    ...(config.trustProxy !== undefined && config.trustProxy > 0 ? { trustProxy: config.trustProxy } : {}),
    console: config.console !== "off",
    metrics: config.metrics === "on",
    mcp: config.mcp === "on",
    collections: !limited,
    taskRouting: config.taskRouting !== "off",
    ...(config.taskModel !== undefined
      ? { taskModel: config.taskModel.toLowerCase() === "off" ? false : config.taskModel }
      : {}),
    ...(config.publicUrl !== undefined ? { publicUrl: config.publicUrl } : {}),
    ...(config.bodyLimit !== undefined ? { bodyLimit: config.bodyLimit } : {}),
    storeResponses: config.storeResponses !== "off",
    upload: {
      maxFileSize: config.maxFileSize,
      chunkSize: config.chunkSize,
      chunkOverlap: config.chunkOverlap,
    },
  };
}

/**
 * The composition's collections as the server serves them: the composition's own as the default,
 * the others through `engineFor` on first use (an unknown name → undefined, a 404, unless the
 * request creates it by adding documents).
 */
export function servedCollections(composition: Composition): ServedCollections {
  const store = composition.collections.collections;
  // Collections seen to exist: their requests skip the listing.
  const known = new Set<string>();
  return {
    defaultName: composition.collection,
    list: () => store.listCollections(),
    engineFor: async (name, options) => {
      if (!known.has(name) && !options?.create) {
        const listed = await store.listCollections();
        if (!listed.some((c) => c.name === name)) return undefined;
      }
      const engine = composition.engineFor(name);
      known.add(name);
      return engine;
    },
  };
}

/**
 * Whether the console's files are there to serve. An install without them (a source checkout
 * never built) still serves the API; the log says why there is no console.
 */
function consoleBuilt(log: ((entry: LogEntry) => void) | undefined): boolean {
  if (existsSync(path.join(consoleAssetsDir, "index.html"))) return true;
  log?.({
    level: "warn",
    msg: "web console not served: its files are missing (build @deeprecall/console, or pass --console off)",
  });
  return false;
}

/** The server's log entry as a flat JSON-friendly record; errors reduced to their message. */
function toLogEntry(entry: ServerLogEntry): LogEntry {
  const { level, message, error, ...rest } = entry;
  const out: LogEntry = { level: level === "debug" ? "info" : level, msg: message };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) out[key] = value;
  if (error !== undefined)
    out.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return out;
}

/**
 * Serves the OpenAI-compatible app for a composed engine on host:port, with graceful
 * shutdown: on SIGTERM/SIGINT (or `shutdown()`), stop accepting connections, let in-flight
 * requests finish up to the grace period (streams still open 1 s before it ends get a
 * `server_shutting_down` error and [DONE], and their runs are aborted), then cut what is left,
 * and close engine and store.
 */
export async function startServer(
  composition: Composition,
  options: StartServerOptions,
): Promise<RunningServer> {
  const log = options.log;
  const redis = composition.redis;
  const withConsole = options.console !== false && consoleBuilt(log);
  const app = createApp(composition.engine, {
    ...(log ? { logger: (entry: ServerLogEntry) => log(toLogEntry(entry)) } : {}),
    ...(options.apiKeys && options.apiKeys.length > 0 ? { apiKeys: options.apiKeys } : {}),
    ...(options.cors ? { cors: options.cors } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    ...(options.rateLimit !== undefined
      ? {
          rateLimit: redis
            ? { requestsPerMinute: options.rateLimit, store: redis.rateLimitStore }
            : options.rateLimit,
        }
      : // The failed-auth throttle shares the rate limiter's store; without a rate limit it
        // still counts in Redis, so a client cannot spread its guesses over the replicas.
        redis
        ? { authThrottle: { store: redis.rateLimitStore } }
        : {}),
    ...(composition.embedding
      ? {
          embedding: composition.embedding,
          ...(composition.embeddingModelName ? { embeddingModelName: composition.embeddingModelName } : {}),
        }
      : {}),
    // Without a model, generation requests get their 503 as the HTTP status, streaming too.
    ...(composition.llm.configured
      ? {}
      : { modelUnavailable: composition.llm.missingMessage ?? "No language model configured" }),
    ...(withConsole ? { console: { assetsDir: consoleAssetsDir } } : {}),
    ...(options.metrics ? { metrics: true } : {}),
    ...(options.mcp ? { mcp: true } : {}),
    ...(options.collections !== false ? { collections: servedCollections(composition) } : {}),
    ...(options.taskRouting !== undefined ? { taskRouting: options.taskRouting } : {}),
    ...(options.taskModel !== undefined ? { taskModel: options.taskModel } : {}),
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    ...(options.bodyLimit !== undefined ? { bodyLimitBytes: options.bodyLimit } : {}),
    ...(options.storeResponses === false ? { responseStore: false as const } : {}),
    ...(options.upload
      ? {
          maxFileSize: options.upload.maxFileSize,
          uploadChunking: { chunkSize: options.upload.chunkSize, chunkOverlap: options.upload.chunkOverlap },
        }
      : {}),
  });
  // The server package's startServer binds and shuts down (one implementation of the graceful
  // shutdown: streams still open near the end of the grace period get a proper ending).
  const running = await serveApp({ app, host: options.host, port: options.port });
  const { server, port } = running;
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = "shutdown") => {
    shuttingDown ??= (async () => {
      options.onShutdown?.();
      const grace = options.gracePeriodMs ?? 30_000;
      log?.({ level: "info", msg: "shutting down", reason, gracePeriodMs: grace });
      await running.shutdown({
        gracePeriodMs: grace,
        onStreamsEnded: (count) =>
          log?.({
            level: "warn",
            msg: `ending ${plural(count, "open stream")} with a "server shutting down" error before the grace period is over`,
            streams: count,
          }),
        onGraceOver: () => log?.({ level: "warn", msg: "grace period over, closing remaining connections" }),
      });
      await composition.close();
      log?.({ level: "info", msg: "stopped" });
    })();
    return shuttingDown;
  };

  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          log?.({
            level: "error",
            msg: "shutdown failed",
            error: getErrorMessage(error),
          });
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  return { url, port, server, console: withConsole, shutdown };
}
