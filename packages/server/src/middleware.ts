/**
 * The middleware stack of `createApp`, in order: tracing, request id + secure headers, metrics,
 * request log, CORS (before anything that could refuse a preflight), 405s, auth (with failed-auth
 * throttling per client address), rate limit, and the body limits (each JSON route reads and
 * validates its own body: see request-body.ts).
 */
import { isAbortError } from "@deeprecall/core";
import {
  type AuthThrottleOptions,
  apiKeyAuth,
  nodeRemoteAddress,
  type RateLimiterOptions,
  rateLimiter,
  requestHeader,
} from "@deeprecall/middleware";
import { createMetrics, httpTracing } from "@deeprecall/observability";
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { methodNotAllowed as notAllowed, toApiError } from "./errors.ts";
import { responseHeaders } from "./headers.ts";
import { bodyLimits } from "./request-body.ts";
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
  if (corsConfig) {
    const handleCors = cors(corsConfig);
    // Only a request with an Origin is a CORS request: a plain OPTIONS (no Origin) gets the app's
    // usual answer (405 with Allow) instead of an empty preflight answer.
    app.use((c, next) => (requestHeader(c, "origin") === undefined ? next() : handleCors(c, next)));
  }
  if (s.console) app.use(s.console);
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        // The upload path only takes POST, though GET /v1/documents/{id} matches it too.
        const error = notAllowed(c.req.method, c.req.path, c.req.path === UPLOAD_PATH ? ["POST"] : methods);
        return c.json(error.toBody(), 405, error.headers);
      },
    }),
  );
  const trustProxy = options.trustProxy ?? 0;
  const rl: RateLimiterOptions | undefined =
    options.rateLimit === undefined
      ? undefined
      : typeof options.rateLimit === "number"
        ? { requestsPerMinute: options.rateLimit, trustProxy }
        : { trustProxy, ...options.rateLimit };
  if (s.authEnabled) {
    const throttle: false | AuthThrottleOptions =
      options.authThrottle === false
        ? false
        : {
            // Shared with the rate limiter's store (e.g. Redis) unless told otherwise.
            ...(rl?.store ? { store: rl.store } : {}),
            trustProxy,
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
  app.use(bodyLimits(s.bodyLimitBytes, options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES, UPLOAD_PATH));
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

export { nodeRemoteAddress };
