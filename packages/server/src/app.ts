import { createRequire } from "node:module";
import {
  ConfigError,
  type DeepRecallEngineApi,
  type DirectCompletionApi,
  type Embedding,
  type EmbeddingFunction,
  isAbortError,
  toEmbeddingFunction,
  toLLMProviderError,
} from "@deeprecall/core";
import { mcpHttpHandler } from "@deeprecall/mcp";
import { DEFAULT_EXEMPT_PATHS } from "@deeprecall/middleware";
import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { checkOptions } from "./app-options.ts";
import { consoleHandler } from "./console.ts";
import { ApiError, toApiError } from "./errors.ts";
import { invalidRequest } from "./invalid-request.ts";
import { installMiddleware } from "./middleware.ts";
import { requestBudget } from "./pipeline.ts";
import { ResponseStore } from "./response-store.ts";
import { registerAdmin } from "./routes/admin.ts";
import { registerChat } from "./routes/chat.ts";
import { registerCompletions } from "./routes/completions.ts";
import { registerDocuments } from "./routes/documents.ts";
import { registerEmbeddings } from "./routes/embeddings.ts";
import { registerModels } from "./routes/models.ts";
import { registerResponses } from "./routes/responses.ts";
import type { App, RouteContext, ServerEnv } from "./routes/shared.ts";
import { registerUpload } from "./routes/upload.ts";
import { isHousekeeping } from "./task.ts";
import { turnBatching } from "./turn-batching.ts";
import type { CreateAppOptions, ServerLogger } from "./types.ts";

export type { ServerEnv };

const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_KEEP_ALIVE_MS = 15_000;

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
  const exemptPaths = options.exemptPaths ?? [...DEFAULT_EXEMPT_PATHS];
  const log: ServerLogger = options.logger ?? (() => {});
  const startedAt = Date.now();
  const authEnabled = (options.apiKeys?.length ?? 0) > 0 || options.validateKey !== undefined;

  const app: App = new OpenAPIHono<ServerEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      return errorResponse(c, invalidRequest(result.error));
    },
  });

  // Failures are logged on the request's one log line (middleware.ts), with the original error.
  app.onError((error, c) => errorResponse(c, toApiError(error, { bodyLimitBytes })));
  app.notFound((c) =>
    errorResponse(
      c,
      new ApiError(404, `Invalid URL (${c.req.method} ${c.req.path})`, { code: "unknown_url" }),
    ),
  );

  const webConsole = options.console ? consoleHandler(options.console) : undefined;
  const metrics = installMiddleware(app, {
    options,
    exemptPaths,
    bodyLimitBytes,
    authEnabled,
    log,
    engine,
    console: webConsole,
  });

  const ctx: RouteContext = {
    engine,
    bodyLimitBytes,
    modelName,
    modelCreated: Math.floor(startedAt / 1000),
    startedAt,
    version: VERSION,
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
    reasoningStream: options.reasoningStream ?? true,
    budget: options.budget,
    log,
    authEnabled,
    exemptPaths,
    task: taskModel(engine, options, modelName),
    publicUrl: options.publicUrl?.replace(/\/+$/, ""),
    console: webConsole !== undefined,
    embedding: options.embedding
      ? { embed: embedFunction(options.embedding), ids: [embeddingName(options, modelName)] }
      : undefined,
    collections: options.collections,
    onEngine: metrics ? (e) => metrics.attach(e) : undefined,
    modelUnavailable: options.modelUnavailable,
    responses: options.responseStore === false ? undefined : new ResponseStore(options.responseStore),
  };
  registerChat(app, ctx);
  registerResponses(app, ctx);
  registerCompletions(app, ctx);
  registerEmbeddings(app, ctx);
  registerUpload(app, ctx, options);
  registerDocuments(app, ctx);
  registerModels(app, ctx);
  registerAdmin(app, ctx);

  // Streamable HTTP, stateless (one MCP server per POST): safe behind a load balancer. Its `ask`
  // runs under the same limits as the OpenAI routes (createApp's budget, the default time limit).
  if (options.mcp) {
    const mcp = options.mcp === true ? {} : options.mcp;
    app.all(
      "/mcp",
      mcpHttpHandler(engine, { ...mcp, budget: requestBudget(engine, options.budget, mcp.budget) }),
    );
  }
  // A plain route (not in the OpenAPI document): Prometheus text, not an OpenAI-style API.
  if (metrics) app.get("/metrics", metrics.handler());

  if (authEnabled) {
    app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
      type: "http",
      scheme: "bearer",
      description: "An API key as a Bearer token (or in an `api-key` header).",
    });
  }
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "DeepRecall OpenAI-compatible API",
      version: VERSION,
      description:
        "OpenAI-compatible chat completions, responses, completions and embeddings answered by DeepRecall's recursive retrieval engine, plus document management.",
    },
    ...(authEnabled ? { security: [{ bearerAuth: [] }] } : {}),
  });
  // `url` only satisfies the options type: docsPage names the document itself.
  app.get(
    "/docs",
    swaggerUI({ url: "/openapi.json", title: "DeepRecall API", manuallySwaggerUIHtml: docsPage }),
  );
  // Under any adapter (`startServer`, `serve({ fetch: app.fetch })`): see turn-batching.ts.
  app.fetch = turnBatching(app.fetch);
  return app;
}

/**
 * The body of the /docs page: Swagger UI (its script and styles come from a CDN, as
 * `@hono/swagger-ui` serves them) over /openapi.json. Where the CDN cannot be reached (an
 * offline or locked-down network), the page says so and links the OpenAPI document instead of
 * staying blank.
 */
function docsPage(asset: { css: string[]; js: string[] }): string {
  const offline =
    '<p style="font-family:sans-serif;margin:2em">The interactive API docs load Swagger UI from a CDN that this browser cannot reach. The API is described by the OpenAPI document at <a href="/openapi.json">/openapi.json</a>.</p>';
  return `
    <div id="swagger-ui"><noscript>${offline}</noscript></div>
    ${asset.css.map((url) => `<link rel="stylesheet" href="${url}" />`).join("")}
    ${asset.js.map((url) => `<script src="${url}" crossorigin="anonymous"></script>`).join("")}
    <script>
      window.onload = () => {
        const root = document.getElementById("swagger-ui");
        if (typeof window.SwaggerUIBundle !== "function") {
          root.innerHTML = ${JSON.stringify(offline)};
          return;
        }
        window.ui = window.SwaggerUIBundle({ dom_id: "#swagger-ui", url: "/openapi.json" });
      };
    </script>`;
}

/** The task model when the engine can make direct calls and it is not turned off. */
function taskModel(
  engine: DeepRecallEngineApi,
  options: CreateAppOptions,
  modelName: string,
): RouteContext["task"] {
  const direct = engine as DeepRecallEngineApi & Partial<DirectCompletionApi>;
  if (options.taskModel === false || typeof direct.complete !== "function") return undefined;
  const routing = options.taskRouting ?? true;
  return {
    name: options.taskModel ?? `${modelName}-task`,
    engine: direct as DirectCompletionApi,
    detect:
      routing === false ? undefined : routing === true ? isHousekeeping : (routing.detect ?? isHousekeeping),
  };
}

function embeddingName(options: CreateAppOptions, modelName: string): string {
  if (options.embeddingModelName) return options.embeddingModelName;
  const id = (options.embedding as { modelId?: unknown } | undefined)?.modelId;
  return typeof id === "string" && id ? id : `${modelName}-embedding`;
}

/** The embedding as a function whose provider failures are `LLMProviderError`s (502/503, not 500). */
function embedFunction(embedding: Embedding): EmbeddingFunction {
  const embed = toEmbeddingFunction(embedding);
  return async (texts, opts) => {
    try {
      return await embed(texts, opts);
    } catch (error) {
      if (isAbortError(error) || ConfigError.isInstance(error) || error instanceof ApiError) throw error;
      throw toLLMProviderError(error);
    }
  };
}
