import { createRequire } from "node:module";
import type { DeepRecallEngineApi, UsageReport } from "@deeprecall/core";
import { ConfigError, validateAddDocumentsInput } from "@deeprecall/core";
import { mcpHttpHandler } from "@deeprecall/mcp";
import {
  type ApiKeyAuthVariables,
  apiKeyAuth,
  DEFAULT_EXEMPT_PATHS,
  isExemptPath,
  type RateLimiterOptions,
  rateLimiter,
} from "@deeprecall/middleware";
import { createMetrics, httpTracing } from "@deeprecall/observability";
import { swaggerUI } from "@hono/swagger-ui";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { RequestIdVariables } from "hono/request-id";
import { chatCompletionJson, checkFilters, completionId, sourceJson, toChatQuery } from "./convert.ts";
import { ApiError, redact, toApiError } from "./errors.ts";
import { jsonResponse, responseHeaders } from "./headers.ts";
import {
  AddDocumentsRequestSchema,
  AddDocumentsResponseSchema,
  CacheClearResponseSchema,
  ChatCompletionRequestSchema,
  ChatCompletionSchema,
  DeleteDocumentsRequestSchema,
  DeleteDocumentsResponseSchema,
  ErrorSchema,
  HealthSchema,
  ModelListSchema,
  ModelSchema,
  SearchRequestSchema,
  SearchResponseSchema,
  UsageReportSchema,
} from "./schemas.ts";
import { streamChat } from "./stream.ts";
import type { CreateAppOptions, ServerLogger } from "./types.ts";

export type ServerEnv = { Variables: RequestIdVariables & Partial<ApiKeyAuthVariables> };

const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_KEEP_ALIVE_MS = 15_000;
const HEALTH_COUNT_TIMEOUT_MS = 2_000;

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, json(ErrorSchema, ERROR_TEXT[s] ?? "Error")]));
const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request",
  401: "Missing or invalid API key",
  404: "Not found",
  413: "Request body too large",
  429: "Rate limit exceeded",
  500: "Internal error",
  502: "The model provider or vector store failed",
  503: "The model provider or vector store is unavailable",
};
const COMMON = [401, 429, 500];
const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** Zod issue path → OpenAI `param`, e.g. ["messages", 0, "content"] → "messages[0].content". */
function paramFromPath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || null;
}

function errorResponse(c: Context, error: ApiError): Response {
  return c.json(error.toBody(), error.status, error.headers);
}

/**
 * Builds the OpenAI-compatible DeepRecall HTTP app over an engine. Serve it with
 * `startServer({ app })` or any Hono adapter.
 */
export function createApp(
  engine: DeepRecallEngineApi,
  options: CreateAppOptions = {},
): OpenAPIHono<ServerEnv> {
  checkOptions(engine, options);
  const modelName = options.modelName ?? "deeprecall";
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const reasoningStream = options.reasoningStream ?? true;
  const exemptPaths = options.exemptPaths ?? [...DEFAULT_EXEMPT_PATHS];
  const log: ServerLogger = options.logger ?? (() => {});
  const startedAt = Date.now();
  const modelCreated = Math.floor(startedAt / 1000);
  const authEnabled = (options.apiKeys?.length ?? 0) > 0 || options.validateKey !== undefined;

  const app = new OpenAPIHono<ServerEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const param = issue ? paramFromPath(issue.path) : null;
      const detail = issue?.message ?? "Invalid request";
      const message = param ? `Invalid value for '${param}': ${detail}` : `Invalid request: ${detail}`;
      return errorResponse(c, new ApiError(400, message, { param, code: "invalid_value" }));
    },
  });

  app.onError((error, c) => {
    const apiError = toApiError(error, { bodyLimitBytes });
    if (apiError.status >= 500) {
      log({
        level: "error",
        message: "request failed",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: apiError.status,
        error,
      });
    }
    return errorResponse(c, apiError);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      new ApiError(404, `Invalid URL (${c.req.method} ${c.req.path})`, { code: "unknown_url" }),
    ),
  );

  if (options.tracing) app.use(httpTracing(options.tracing === true ? {} : options.tracing));
  // Hono's requestId() and secureHeaders() (with CORP and COOP off), as one middleware.
  app.use(responseHeaders());
  const metrics = options.metrics === true ? createMetrics() : options.metrics || undefined;
  if (metrics) {
    app.use(metrics.middleware());
    metrics.attach(engine);
  }
  if (options.logger) {
    app.use(async (c, next) => {
      const t0 = performance.now();
      await next();
      log({
        level: "info",
        message: "request",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round(performance.now() - t0),
      });
    });
  }
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
  if (options.cors) {
    const corsOptions = options.cors === true ? { origin: "*" } : options.cors;
    app.use(
      cors({
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "X-Request-Id",
          "Mcp-Protocol-Version",
          "Mcp-Session-Id",
        ],
        exposeHeaders: [
          "Retry-After",
          "X-Request-Id",
          "x-ratelimit-limit-requests",
          "x-ratelimit-remaining-requests",
        ],
        ...corsOptions,
      }),
    );
  }
  if (authEnabled) {
    app.use(
      apiKeyAuth({
        ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
        ...(options.validateKey ? { validate: options.validateKey } : {}),
        exemptPaths,
      }),
    );
  }
  if (options.rateLimit !== undefined) {
    const rl: RateLimiterOptions =
      typeof options.rateLimit === "number" ? { requestsPerMinute: options.rateLimit } : options.rateLimit;
    app.use(rateLimiter({ exemptPaths, ...rl }));
  }
  app.use(requestBody(bodyLimitBytes));

  // ---- chat completions -------------------------------------------------------------------
  const chatRoute = createRoute({
    method: "post",
    path: "/v1/chat/completions",
    tags: ["OpenAI"],
    summary: "Chat completion (regular or streaming)",
    description:
      'Answers the last user message with DeepRecall. With `"stream": true` the answer is sent as ' +
      "Server-Sent Events in OpenAI's chunk format, with progress as `delta.reasoning_content`.",
    request: { body: jsonBody(ChatCompletionRequestSchema) },
    responses: {
      200: {
        description: "The completion (JSON), or an SSE stream of chunks",
        content: {
          "application/json": { schema: ChatCompletionSchema },
          "text/event-stream": { schema: ChatCompletionStreamEventSchema },
        },
      },
      ...errors(400, 413, 502, 503, ...COMMON),
    },
  });
  app.openapi(chatRoute, async (c) => {
    const body = c.req.valid("json");
    const chat = toChatQuery(body);
    const id = completionId();
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      const response = streamChat(engine, chat, {
        id,
        created,
        model: modelName,
        includeUsage: body.stream_options?.include_usage === true,
        reasoning: reasoningStream,
        keepAliveMs,
        signal: c.req.raw.signal,
        log,
        requestId: c.get("requestId"),
      });
      // Through the context, so headers set by middleware (request id, rate-limit) are kept.
      return c.newResponse(response.body, response) as never;
    }
    const result = await engine.query(chat.query, { ...chat.options, signal: c.req.raw.signal });
    return jsonResponse(c, JSON.stringify(chatCompletionJson(result, modelName, id, created))) as never;
  });

  // ---- documents ------------------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/documents",
      tags: ["DeepRecall"],
      summary: "Add documents to the vector store",
      request: { body: jsonBody(AddDocumentsRequestSchema) },
      responses: {
        200: json(AddDocumentsResponseSchema, "The ids written"),
        ...errors(400, 413, 502, 503, ...COMMON),
      },
    }),
    async (c) => {
      const input = c.req.valid("json") as Parameters<DeepRecallEngineApi["addDocuments"]>[0];
      validateAddDocumentsInput(input);
      const ids = await engine.addDocuments(input);
      return c.json({ ids, count: ids.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/documents",
      tags: ["DeepRecall"],
      summary: "Delete documents by id",
      request: { body: jsonBody(DeleteDocumentsRequestSchema) },
      responses: { 200: json(DeleteDocumentsResponseSchema, "Deleted"), ...errors(400, 502, 503, ...COMMON) },
    }),
    async (c) => {
      const { ids } = c.req.valid("json");
      await engine.deleteDocuments(ids);
      return c.json({ ids, count: ids.length, deleted: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/search",
      tags: ["DeepRecall"],
      summary: "Search the vector store (no LLM)",
      request: { body: jsonBody(SearchRequestSchema) },
      responses: { 200: json(SearchResponseSchema, "Hits, best first"), ...errors(400, 502, 503, ...COMMON) },
    }),
    async (c) => {
      const { query, top_k, filters } = c.req.valid("json");
      const searchOptions: Parameters<DeepRecallEngineApi["search"]>[1] = { signal: c.req.raw.signal };
      if (top_k !== undefined) searchOptions.topK = top_k;
      if (filters !== undefined) searchOptions.filters = checkFilters(filters, "filters");
      const hits = await engine.search(query, searchOptions);
      return c.json({ object: "list" as const, data: hits.map(sourceJson), query }, 200);
    },
  );

  // ---- models ---------------------------------------------------------------------------------
  const modelJson = () => ({
    id: modelName,
    object: "model" as const,
    created: modelCreated,
    owned_by: "deeprecall",
  });
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      tags: ["OpenAI"],
      summary: "List models",
      responses: { 200: json(ModelListSchema, "The models"), ...errors(...COMMON) },
    }),
    (c) => c.json({ object: "list" as const, data: [modelJson()] }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{id}",
      tags: ["OpenAI"],
      summary: "Retrieve a model",
      request: { params: ModelSchema.pick({ id: true }) },
      responses: { 200: json(ModelSchema, "The model"), ...errors(404, ...COMMON) },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      if (id !== modelName) {
        throw new ApiError(404, `The model '${id.slice(0, 200)}' does not exist`, {
          param: "model",
          code: "model_not_found",
        });
      }
      return c.json(modelJson(), 200);
    },
  );

  // ---- usage, cache, health -------------------------------------------------------------------
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/usage",
      tags: ["DeepRecall"],
      summary: "Cumulative usage",
      description:
        "Totals from the engine's usage tracker. Without one, answers 200 with `available: false` and a message.",
      responses: { 200: json(UsageReportSchema, "Usage totals"), ...errors(...COMMON) },
    }),
    async (c) => {
      const report = await engine.usage();
      if (!report) {
        return c.json(
          {
            available: false,
            message:
              "Usage tracking is not enabled on this server: register a usage tracker callback on the engine.",
          },
          200,
        );
      }
      return c.json(usageJson(report), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/cache/clear",
      tags: ["DeepRecall"],
      summary: "Clear the query and search caches",
      responses: { 200: json(CacheClearResponseSchema, "Cleared"), ...errors(502, 503, ...COMMON) },
    }),
    async (c) => {
      await engine.clearCache();
      return c.json({ status: "ok" as const, cleared: true }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["DeepRecall"],
      // Exempt from auth by default: say so in the document.
      ...(authEnabled && isExemptPath("/health", exemptPaths) ? { security: [] } : {}),
      summary: "Health check",
      description:
        'Always 200 while the process serves requests; `status` is "degraded" when the store cannot count its documents.',
      responses: { 200: json(HealthSchema, "Health") },
    }),
    async (c) => {
      const documents = await countWithTimeout(engine);
      return c.json(
        {
          status: documents === null ? ("degraded" as const) : ("ok" as const),
          model: modelName,
          engine_model: engine.modelId,
          vector_store: redact(engine.vectorStore.name),
          documents,
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
          version: VERSION,
        },
        200,
      );
    },
  );

  // ---- MCP ------------------------------------------------------------------------------------
  // Streamable HTTP, stateless (one MCP server per POST): safe behind a load balancer.
  if (options.mcp) app.all("/mcp", mcpHttpHandler(engine, options.mcp === true ? {} : options.mcp));

  // ---- metrics --------------------------------------------------------------------------------
  // A plain route (not in the OpenAPI document): Prometheus text, not an OpenAI-style API.
  if (metrics) app.get("/metrics", metrics.handler());

  // ---- docs -----------------------------------------------------------------------------------
  if (authEnabled) {
    app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
      type: "http",
      scheme: "bearer",
      description: "An API key as a Bearer token.",
    });
  }
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "DeepRecall OpenAI-compatible API",
      version: VERSION,
      description:
        "OpenAI-compatible chat completions answered by DeepRecall's recursive retrieval engine, plus document management.",
    },
    ...(authEnabled ? { security: [{ bearerAuth: [] }] } : {}),
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "DeepRecall API" }));

  return app;
}

function checkOptions(engine: DeepRecallEngineApi, options: CreateAppOptions): void {
  if (typeof engine !== "object" || engine === null || typeof engine.query !== "function") {
    throw new ConfigError(
      "createApp expects a DeepRecallEngine (or an object implementing DeepRecallEngineApi)",
      {
        field: "engine",
      },
    );
  }
  const positive = (value: unknown, field: string, allowZero = false) => {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new ConfigError(
        `${field} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(value)}`,
        {
          field,
        },
      );
    }
  };
  positive(options.bodyLimitBytes, "bodyLimitBytes");
  positive(options.keepAliveMs, "keepAliveMs", true);
  positive(
    typeof options.rateLimit === "object" ? options.rateLimit.requestsPerMinute : options.rateLimit,
    "rateLimit",
  );
  if (
    options.modelName !== undefined &&
    (typeof options.modelName !== "string" || options.modelName.trim() === "")
  ) {
    throw new ConfigError("modelName must be a non-empty string", { field: "modelName" });
  }
  if (options.apiKeys !== undefined) {
    if (
      !Array.isArray(options.apiKeys) ||
      options.apiKeys.some((k) => typeof k !== "string" || k.trim() === "")
    ) {
      throw new ConfigError("apiKeys must be an array of non-empty strings", { field: "apiKeys" });
    }
  }
  const metrics = options.metrics as unknown;
  if (
    metrics !== undefined &&
    typeof metrics !== "boolean" &&
    (typeof metrics !== "object" ||
      metrics === null ||
      typeof (metrics as { middleware?: unknown }).middleware !== "function")
  ) {
    throw new ConfigError("metrics must be true, false or the result of createMetrics()", {
      field: "metrics",
    });
  }
  if (options.validateKey !== undefined && typeof options.validateKey !== "function") {
    throw new ConfigError("validateKey must be a function (key) => boolean | Promise<boolean>", {
      field: "validateKey",
    });
  }
}

function usageJson(report: UsageReport) {
  const byModel: Record<string, Record<string, number>> = {};
  for (const [model, u] of Object.entries(report.byModel ?? {})) {
    byModel[model] = {
      calls: u.calls,
      prompt_tokens: u.inputTokens,
      completion_tokens: u.outputTokens,
      total_tokens: u.totalTokens,
      ...(u.costUsd !== undefined ? { cost_usd: u.costUsd } : {}),
    };
  }
  return {
    available: true,
    total_queries: report.totalQueries,
    failed_queries: report.failedQueries,
    prompt_tokens: report.inputTokens,
    completion_tokens: report.outputTokens,
    total_tokens: report.totalTokens,
    llm_calls: report.llmCalls,
    search_calls: report.searchCalls,
    total_cost_usd: report.totalCostUsd,
    average_time_ms: report.averageTimeMs,
    by_model: byModel,
    since: report.since,
  };
}

async function countWithTimeout(engine: DeepRecallEngineApi): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      engine.vectorStore.count(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), HEALTH_COUNT_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** One Server-Sent Event of a streaming chat completion, as a client's SSE parser sees it. */
const ChatCompletionStreamEventSchema = z
  .object({
    data: z.string().openapi({
      description:
        "A JSON chat.completion.chunk, an OpenAI-shaped error object, or the literal [DONE] (always last).",
    }),
    event: z.string().optional(),
    id: z.string().optional(),
    retry: z.number().int().optional(),
  })
  .openapi("ChatCompletionStreamEvent");

/**
 * The body limit and the JSON labelling of request bodies, in one middleware.
 *
 * The limit is Hono's `bodyLimit`, without its cost on the common path: Hono's middleware reads
 * `c.req.raw.body` on every request, which makes `@hono/node-server` build an undici `Request`
 * and a web stream over the Node request, and the JSON validator then reads the body through
 * them (the server sat idle for half of a cache-hit benchmark because of it). A request that
 * declares its `Content-Length` (and no `Transfer-Encoding`) is checked from the header alone —
 * Node's parser never delivers more bytes than declared — and its body is later read straight
 * from the Node request. Only chunked bodies go through `bodyLimit`, which counts the bytes as
 * they arrive.
 */
function requestBody(maxSize: number): MiddlewareHandler {
  const tooLarge = () =>
    new ApiError(413, `Request body too large: the limit is ${maxSize} bytes.`, {
      code: "request_too_large",
    });
  const streaming = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  return (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > maxSize) throw tooLarge();
      labelAsJson(c);
      return next();
    }
    return streaming(c, () => {
      labelAsJson(c);
      return next();
    });
  };
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const MULTIPART_TYPE = /^multipart\//i;

/**
 * Clients like `curl -d` send JSON bodies labelled as form data (or not labelled at all).
 * Treat any body that is not explicitly JSON or multipart as JSON, so it is parsed (and
 * rejected as malformed JSON when it is not) instead of being silently read as `{}`.
 */
function labelAsJson(c: Context): void {
  const method = c.req.method;
  if (method !== "POST" && method !== "DELETE" && method !== "PUT" && method !== "PATCH") return;
  // Look at the header first: touching `c.req.raw.body` makes the Node adapter build a web
  // stream for the body, which costs every well-labelled JSON request for nothing.
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (!JSON_TYPE.test(type) && !MULTIPART_TYPE.test(type) && c.req.raw.body) {
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    c.req.raw = new Request(c.req.raw, { headers });
  }
}
