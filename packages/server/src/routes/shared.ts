/** What every route module gets from `createApp`, and the OpenAPI helpers they share. */
import type {
  DeepRecallEngineApi,
  DirectCompletionApi,
  EmbeddingFunction,
  QueryBudget,
  StructuredOutputApi,
} from "@deeprecall/core";
import type { ApiKeyAuthVariables, RateLimitVariables } from "@deeprecall/middleware";
import { createRoute, type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import { modelNotConfigured } from "../errors.ts";
import { jsonBodyParser } from "../request-body.ts";
import type { ResponseStore } from "../response-store.ts";
import { ErrorSchema } from "../schemas.ts";
import type { TaskDetector } from "../task.ts";
import type { ServedCollections, ServerLogger } from "../types.ts";

/**
 * What the request log line reports about a request beyond its status: filled in by the routes
 * (a stream's failure happens after the status went out) and read when the response has ended.
 */
export interface RequestLog {
  /** "task" when the request went to the task model. */
  route?: "task";
  /** The failure that ended a stream (the status was already 200). */
  error?: unknown;
  errorStatus?: number;
}

export type ServerEnv = {
  Variables: RequestIdVariables &
    Partial<ApiKeyAuthVariables> &
    Partial<RateLimitVariables> & { requestLog?: RequestLog };
};
export type App = OpenAPIHono<ServerEnv>;
export type Engine = DeepRecallEngineApi & Partial<StructuredOutputApi>;

export interface RouteContext {
  engine: Engine;
  /** The largest JSON request body, in bytes (`bodyLimitBytes`). */
  bodyLimitBytes: number;
  /** The model id clients use for chat, responses and completions. */
  modelName: string;
  /** Unix seconds, shown as the models' `created`. */
  modelCreated: number;
  startedAt: number;
  version: string;
  keepAliveMs: number;
  reasoningStream: boolean;
  /** `createApp`'s `budget`: with the engine's, the ceiling of every request's budget. */
  budget: QueryBudget | undefined;
  log: ServerLogger;
  authEnabled: boolean;
  exemptPaths: string[];
  /**
   * The task model (one direct model call, no retrieval) when the engine can make direct calls:
   * its id, and the detector that routes chat UIs' housekeeping requests to it (none = off).
   */
  task: { name: string; engine: DirectCompletionApi; detect: TaskDetector | undefined } | undefined;
  /** Base of the citation links (`<publicUrl>/v1/documents/<id>`); default: the request's origin. */
  publicUrl: string | undefined;
  /** The web console is served at `/`: citation links open its document view. */
  console: boolean;
  /** The embedding model behind /v1/embeddings, if any, and the ids it answers to. */
  embedding: { embed: EmbeddingFunction; ids: string[] } | undefined;
  /** The other collections served as `<modelName>/<collection>`, when several are. */
  collections: ServedCollections | undefined;
  /** Called with each collection engine a request resolves (metrics attach to it; idempotent). */
  onEngine: ((engine: Engine) => void) | undefined;
  /** `createApp`'s `modelUnavailable`: why no language model can answer (none = one can). */
  modelUnavailable: string | undefined;
  /** The Responses API's stored responses (`createApp`'s `responseStore`); undefined = none kept. */
  responses: ResponseStore | undefined;
}

/**
 * Refuses a generation request (chat, responses, completions) at once when no language model is
 * configured (`createApp`'s `modelUnavailable`), so a streaming client gets the 503 as its HTTP
 * status instead of a 200 whose stream ends in an error.
 *
 * @throws ApiError 503 `model_not_configured` with the configured message.
 */
export function assertModelAvailable(ctx: RouteContext): void {
  if (ctx.modelUnavailable !== undefined) throw modelNotConfigured(ctx.modelUnavailable);
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const ERROR_TEXT: Record<number, string> = {
  400: "Invalid request",
  401: "Missing or invalid API key",
  404: "Not found",
  413: "Request body too large",
  415: "The body is not JSON (e.g. multipart/form-data)",
  429: "Rate limit exceeded",
  500: "Internal error",
  501: "Not supported by this server's vector store",
  502: "The model provider or vector store failed",
  503: "The model provider or vector store is unavailable",
};

export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, json(ErrorSchema, ERROR_TEXT[s] ?? "Error")]));

export const COMMON = [401, 429, 500];

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/**
 * Registers a route that takes a JSON body: documented from `route` exactly as `app.openapi`
 * would, but served by one handler that reads and validates the body itself (see
 * {@link jsonBodyParser}) and passes it on as `body`. What this saves over `app.openapi` on the
 * hot endpoints: its media-type gate and `zValidator` (two more async middleware, the body read
 * as text then parsed from Hono's body cache, `safeParseAsync`). The errors are the same 400s;
 * a multipart body is a 415 `unsupported_media_type`.
 */
export function jsonRoute<S extends z.ZodType>(
  app: App,
  ctx: RouteContext,
  route: RouteConfig,
  schema: S,
  handler: (c: Context<ServerEnv>, body: z.output<S>) => Response | Promise<Response>,
): void {
  // Every JSON route can answer 413 (body limit) and 415 (multipart): documented on each.
  app.openAPIRegistry.registerPath({ ...route, responses: { ...errors(413, 415), ...route.responses } });
  const parse = jsonBodyParser(schema, ctx.bodyLimitBytes);
  // OpenAPI's {param} → Hono's :param.
  const path = route.path.replace(/\/{(.+?)}/g, "/:$1");
  app.on([route.method.toUpperCase()], [path], (c) => parse(c).then((body) => handler(c, body)));
}

/** One Server-Sent Event, as a client's SSE parser sees it. */
export const streamEventSchema = (name: string, description: string) =>
  z
    .object({
      data: z.string().openapi({ description }),
      event: z.string().optional(),
      id: z.string().optional(),
      retry: z.number().int().optional(),
    })
    .openapi(name);

/** A 200 that is JSON, or an SSE stream with `"stream": true`. */
export const jsonOrStream = <T extends z.ZodType, S extends z.ZodType>(
  schema: T,
  stream: S,
  description: string,
) => ({
  description,
  content: { "application/json": { schema }, "text/event-stream": { schema: stream } },
});

/**
 * The route of an OpenAI generation endpoint (chat completions, responses, completions): a POST
 * under the "OpenAI" tag taking `body`, answering JSON (`schema`) or, with `"stream": true`, SSE
 * events (`stream`: the event schema's name and description), and OpenAI's error statuses.
 */
export function generationRoute<B extends z.ZodType, R extends z.ZodType>(o: {
  path: string;
  summary: string;
  description: string;
  body: B;
  schema: R;
  stream: { name: string; description: string };
  responseDescription: string;
}) {
  return createRoute({
    method: "post",
    path: o.path,
    tags: ["OpenAI"],
    summary: o.summary,
    description: o.description,
    request: { body: jsonBody(o.body) },
    responses: {
      200: jsonOrStream(
        o.schema,
        streamEventSchema(o.stream.name, o.stream.description),
        o.responseDescription,
      ),
      ...errors(400, 404, 413, 502, 503, ...COMMON),
    },
  });
}

/**
 * Whose stored things (responses) a request may see: the non-secret id auth gave its API key (a
 * SHA-256 prefix, never the key), or "" when the request was not authenticated (auth off, or an
 * exempt path), which all such requests share.
 */
export function scopeOf(c: Context<ServerEnv>): string {
  return c.get("apiKeyId") ?? "";
}

export function requestId(c: Context<ServerEnv>): string | undefined {
  return c.get("requestId");
}

/** Notes the failure that ended a stream, for the request's one log line. */
export function noteStreamFailure(record: RequestLog | undefined, error: unknown, status: number): void {
  if (!record) return;
  record.error = error;
  record.errorStatus = status;
}
