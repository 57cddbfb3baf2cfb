/**
 * The middleware stack of `createApp`, in order: tracing, request id + secure headers, metrics,
 * request log, CORS (before anything that could refuse a preflight), 405s, auth (with failed-auth
 * throttling per client address), rate limit, and the request body (limit, UTF-8, JSON).
 */
import { isUtf8 } from "node:buffer";
import { isAbortError } from "@deeprecall/core";
import {
  type AuthThrottleOptions,
  apiKeyAuth,
  nodeRemoteAddress,
  type RateLimiterOptions,
  rateLimiter,
} from "@deeprecall/middleware";
import { createMetrics, httpTracing } from "@deeprecall/observability";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { ApiError, toApiError } from "./errors.ts";
import { responseHeaders } from "./headers.ts";
import type { App, RequestLog, ServerEnv } from "./routes/shared.ts";
import { DEFAULT_UPLOAD_LIMIT_BYTES, UPLOAD_PATH } from "./routes/upload.ts";
import type { CorsOptions, CreateAppOptions, ServerLogger } from "./types.ts";

/** Headers a browser may read from our responses. */
export const EXPOSED_HEADERS = [
  "x-request-id",
  "retry-after",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
];

/**
 * Hono `cors()` options from `createApp`'s `cors` option. `true` or "*" allows any origin; a
 * string or list allows those origins; an object is Hono's options. Unless the options list
 * `allowHeaders`, a preflight is allowed every header the browser asks for (the `openai` npm
 * client sends `x-stainless-*` headers); the request id and rate-limit headers are exposed.
 */
export function corsOptions(option: CreateAppOptions["cors"]): CorsOptions | undefined {
  if (option === undefined || option === false) return undefined;
  let base: CorsOptions;
  if (option === true || option === "*") base = { origin: "*" };
  else if (typeof option === "string") base = { origin: option };
  else if (Array.isArray(option)) base = { origin: option.includes("*") ? "*" : [...option] };
  else base = option as CorsOptions;
  return {
    maxAge: 600,
    ...base,
    exposeHeaders: [...new Set([...EXPOSED_HEADERS, ...(base.exposeHeaders ?? [])])],
    allowMethods: base.allowMethods ?? ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
  };
}

export interface StackOptions {
  options: CreateAppOptions;
  exemptPaths: string[];
  bodyLimitBytes: number;
  authEnabled: boolean;
  log: ServerLogger;
  engine: Parameters<ReturnType<typeof createMetrics>["attach"]>[0];
  /** Serves the web console's files, before auth and rate limiting (they hold no data). */
  console?: MiddlewareHandler | undefined;
}

/** Installs the middleware stack; returns the metrics (for `/metrics`) when enabled. */
export function installMiddleware(app: App, s: StackOptions): ReturnType<typeof createMetrics> | undefined {
  const { options, exemptPaths, log } = s;
  if (options.tracing) app.use(httpTracing(options.tracing === true ? {} : options.tracing));
  // Hono's requestId() and secureHeaders() (with CORP and COOP off), as one middleware.
  app.use(responseHeaders());
  const metrics = options.metrics === true ? createMetrics() : options.metrics || undefined;
  if (metrics) {
    app.use(metrics.middleware());
    metrics.attach(s.engine);
  }
  if (options.logger) app.use(requestLogger(log));
  // CORS first among the checks: a preflight must not meet a 405, a 401 or a 429.
  const corsConfig = corsOptions(options.cors);
  if (corsConfig) app.use(cors(corsConfig));
  if (s.console) app.use(s.console);
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        c.json(
          new ApiError(
            405,
            `Method ${c.req.method} is not allowed for ${c.req.path}; use ${methods.join(", ")}.`,
            {
              code: "method_not_allowed",
            },
          ).toBody(),
          405,
          { Allow: methods.join(", ") },
        ),
    }),
  );
  const rl: RateLimiterOptions | undefined =
    options.rateLimit === undefined
      ? undefined
      : typeof options.rateLimit === "number"
        ? { requestsPerMinute: options.rateLimit }
        : options.rateLimit;
  if (s.authEnabled) {
    const throttle: false | AuthThrottleOptions =
      options.authThrottle === false
        ? false
        : {
            // Shared with the rate limiter's store (e.g. Redis) unless told otherwise.
            ...(rl?.store ? { store: rl.store } : {}),
            ...(options.authThrottle ?? {}),
          };
    app.use(
      apiKeyAuth({
        ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
        ...(options.validateKey ? { validate: options.validateKey } : {}),
        exemptPaths,
        throttle,
        onFailure: (failure) =>
          log({
            level: "warn",
            message: `authentication failed (${failure.reason}) from ${failure.client}`,
            method: failure.method,
            path: failure.path,
          }),
      }),
    );
  }
  if (rl) app.use(rateLimiter({ exemptPaths, ...rl }));
  app.use(requestBody(s.bodyLimitBytes, options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES));
  return metrics;
}

/**
 * One log line per request, when the response has ended: method, path, status, request id, the
 * total time (for a stream: until its last byte or the client's disconnect, not time-to-headers)
 * and the outcome — "completed", "client disconnected, run aborted", or "failed: <reason>" (a
 * stream that failed after its 200 went out names the error status it sent in the stream). The
 * level is `info`, `warn` for a 4xx failure, `error` (with the original error) for a 5xx one.
 */
function requestLogger(log: ServerLogger): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    const t0 = performance.now();
    const record: RequestLog = {};
    c.set("requestLog", record);
    await next();
    const signal = c.req.raw.signal;
    let done = false;
    const finish = (disconnected: boolean) => {
      if (done) return;
      done = true;
      const error = record.error ?? c.error;
      const failure = error !== undefined ? toApiError(error) : undefined;
      const status = failure && record.errorStatus !== undefined ? record.errorStatus : c.res.status;
      const left = disconnected || (signal.aborted && failure === undefined) || isAbortError(error);
      const outcome = left
        ? "client disconnected, run aborted"
        : failure
          ? `failed: ${failure.message}`
          : "completed";
      log({
        level: left ? "info" : !failure ? "info" : failure.status >= 500 ? "error" : "warn",
        message: "request",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round(performance.now() - t0),
        outcome,
        ...(record.route ? { route: record.route } : {}),
        ...(failure && status !== c.res.status ? { errorStatus: status } : {}),
        ...(failure && !left ? { error } : {}),
      });
    };
    const body = c.res.body;
    if (!body || !(c.res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      finish(false);
      return;
    }
    // A stream: logged when its last byte is read or the client goes away.
    const reader = body.getReader();
    const wrapped = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            controller.close();
            finish(false);
          } else controller.enqueue(value);
        } catch (error) {
          record.error ??= error;
          finish(false);
          controller.error(error);
        }
      },
      cancel(reason) {
        finish(true);
        return reader.cancel(reason);
      },
    });
    c.res = new Response(wrapped, { status: c.res.status, headers: c.res.headers });
  };
}

/**
 * The body limit, UTF-8 and JSON of request bodies, in one middleware.
 *
 * The limit is Hono's `bodyLimit`, without its cost on the common path: a request that declares
 * its `Content-Length` (and no `Transfer-Encoding`) is checked from the header alone (Node's
 * parser never delivers more bytes than declared); only chunked bodies go through `bodyLimit`,
 * which counts the bytes as they arrive.
 *
 * API bodies (paths under /v1/) are then read once as bytes (`@hono/node-server` reads them
 * straight from the Node request): invalid UTF-8 is a 400 (never stored as U+FFFD), and the text
 * is handed to the route's JSON validator through Hono's body cache, whatever the body was
 * labelled (`curl -d` sends JSON as form data), so malformed JSON is a 400 too.
 *
 * File uploads (`POST /v1/documents/upload`, multipart) are exempt from the JSON limit: they
 * have their own, `uploadLimit`, and are left to the route's multipart parser.
 */
function requestBody(maxSize: number, uploadLimit: number): MiddlewareHandler {
  const json = limitBody(maxSize, `Request body too large: the limit is ${maxSize} bytes.`);
  const upload = limitBody(
    uploadLimit,
    `Upload too large: the limit is ${uploadLimit} bytes per request (all files together).`,
  );
  return (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    if (c.req.path === UPLOAD_PATH) return upload(c, next);
    // An empty body has nothing to check (the route's validator answers for it).
    return json(c, () => (c.req.header("content-length") === "0" ? next() : readJson(c).then(next)));
  };
}

/**
 * Refuses a body over `maxSize` bytes with a 413 saying `message`, then calls `then`: from the
 * `Content-Length` alone when the request declares it, else (chunked) through Hono's
 * `bodyLimit`, which counts the bytes as they arrive.
 */
function limitBody(
  maxSize: number,
  message: string,
): (c: Context, then: () => Promise<void>) => ReturnType<MiddlewareHandler> {
  const tooLarge = () => new ApiError(413, message, { code: "request_too_large" });
  const streaming = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, then) => {
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > maxSize) throw tooLarge();
      return then();
    }
    return streaming(c, then);
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const MULTIPART_TYPE = /^multipart\//i;
const decoder = new TextDecoder("utf-8");

async function readJson(c: Context): Promise<void> {
  if (!c.req.path.startsWith("/v1/")) return;
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (MULTIPART_TYPE.test(type)) return;
  const bytes = new Uint8Array(await c.req.raw.arrayBuffer());
  if (bytes.length === 0) return;
  if (!isUtf8(bytes)) {
    throw new ApiError(400, "The request body is not valid UTF-8.", { code: "invalid_encoding" });
  }
  // Hono's `c.req.json()` (what the validators call) parses the cached text.
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(decoder.decode(bytes));
  if (!JSON_TYPE.test(type)) {
    // The validator only reads bodies labelled as JSON: relabel (the body itself is cached).
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers });
  }
}

export { nodeRemoteAddress };
