/**
 * GET/DELETE /v1/responses/{response_id}, GET /v1/responses/{response_id}/input_items and POST
 * /v1/responses/{response_id}/cancel: the responses POST /v1/responses kept (see
 * ../response-store.ts), each visible only to the API key that created it.
 */
import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../errors.ts";
import { jsonResponse } from "../headers.ts";
import { invalidRequest } from "../invalid-request.ts";
import { invalid, unsupported } from "../params.ts";
import type { KeptResponse } from "../response-store.ts";
import {
  ResponseDeletedSchema,
  ResponseIdParamsSchema,
  ResponseInputItemsQuerySchema,
  ResponseItemListSchema,
  ResponseObjectSchema,
  RetrieveResponseQuerySchema,
} from "../schemas.ts";
import { type App, COMMON, errors, json, type RouteContext, type ServerEnv, scopeOf } from "./shared.ts";

/** Items per `input_items` page when the request sets no `limit` (OpenAI's default). */
const DEFAULT_ITEMS_LIMIT = 20;

/**
 * OpenAI's 404 for a response id it does not have: also what another key's response, a deleted
 * one and one the store has let go (or any id when the app stores none) answer.
 */
function notFound(id: string): ApiError {
  return new ApiError(404, `Response with id '${id.slice(0, 200)}' not found.`);
}

/** The caller's stored response `id`, or the 404. */
function storedResponse(ctx: RouteContext, c: Context<ServerEnv>, id: string): KeptResponse {
  const found = ctx.responses?.get(scopeOf(c), id);
  if (!found) throw notFound(id);
  return found;
}

/**
 * One page of `items` (oldest first) in `order`, starting after the item `after` (a 400 naming
 * `after` when the list has no such item), at most `limit` long, as OpenAI's `ResponseItemList`.
 */
function itemPage<T extends { id: string }>(
  items: readonly T[],
  { limit, order, after }: { limit: number; order: "asc" | "desc"; after: string | undefined },
) {
  const ordered = order === "asc" ? items : [...items].reverse();
  let start = 0;
  if (after !== undefined) {
    const at = ordered.findIndex((item) => item.id === after);
    if (at === -1) {
      throw invalid(
        "after",
        `Invalid 'after': no input item with id '${after.slice(0, 200)}' in this response.`,
      );
    }
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: "list" as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}

/**
 * The validation hook of a route whose query is `schema`: its 400 names the parameter as the
 * app's default does, and reads the query's values and the schema so that, e.g., `limit=0` is
 * an `integer_below_min_value` (the default hook sees neither).
 */
function queryHook(schema: z.ZodType) {
  return (
    result: { success: boolean; error?: z.ZodError; target: string },
    c: Context<ServerEnv>,
  ): undefined => {
    if (result.success || !result.error) return undefined;
    throw invalidRequest(result.error, result.target === "query" ? c.req.query() : undefined, schema);
  };
}

export function registerStoredResponses(app: App, ctx: RouteContext): void {
  const where =
    "Responses are kept in this server's memory (bounded, least recently used out first), per API key: another key's, a deleted one, one the store has let go and any id when the server stores none are 404s.";
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/responses/{response_id}",
      tags: ["OpenAI"],
      summary: "Retrieve a stored response",
      description: `The response as POST /v1/responses returned it (completed, incomplete or failed). ${where} \`stream=true\` is a 400: stored responses are not streamed again.`,
      request: { params: ResponseIdParamsSchema, query: RetrieveResponseQuerySchema },
      responses: {
        200: json(ResponseObjectSchema, "The stored response"),
        ...errors(400, 404, ...COMMON),
      },
    }),
    (c) => {
      if (c.req.valid("query").stream === "true") {
        throw unsupported(
          "stream",
          "stream=true is not supported when retrieving a response: this server stores finished responses only. Retrieve it without stream.",
        );
      }
      const found = storedResponse(ctx, c, c.req.valid("param").response_id);
      return jsonResponse(c, found.response) as never;
    },
    queryHook(RetrieveResponseQuerySchema),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/responses/{response_id}",
      tags: ["OpenAI"],
      summary: "Delete a stored response",
      description: `Forgets the response (a later GET is a 404; responses that followed it keep their own copy of the conversation). ${where}`,
      request: { params: ResponseIdParamsSchema },
      responses: {
        200: json(ResponseDeletedSchema, "The response was deleted"),
        ...errors(404, ...COMMON),
      },
    }),
    (c) => {
      const id = c.req.valid("param").response_id;
      if (!ctx.responses?.delete(scopeOf(c), id)) throw notFound(id);
      return c.json({ id, object: "response" as const, deleted: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/responses/{response_id}/input_items",
      tags: ["OpenAI"],
      summary: "List a stored response's input items",
      description: `What the response was generated from, as items with ids: the conversation of the response it followed (\`previous_response_id\`, recursively: inputs and outputs), then its own input (user/system/developer messages with \`input_text\` parts, assistant messages, function calls and their outputs; \`item_reference\`s resolved). Newest first unless \`order=asc\`; page with \`after\` = the previous page's \`last_id\`. ${where}`,
      request: { params: ResponseIdParamsSchema, query: ResponseInputItemsQuerySchema },
      responses: {
        200: json(ResponseItemListSchema, "A page of input items"),
        ...errors(400, 404, ...COMMON),
      },
    }),
    (c) => {
      const found = storedResponse(ctx, c, c.req.valid("param").response_id);
      const { limit, order, after } = c.req.valid("query");
      const page = itemPage(found.input(), {
        limit: limit ?? DEFAULT_ITEMS_LIMIT,
        order: order ?? "desc",
        after,
      });
      return c.json(page, 200);
    },
    queryHook(ResponseInputItemsQuerySchema),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/responses/{response_id}/cancel",
      tags: ["OpenAI"],
      summary: "Cancel a background response",
      description: `Only background responses can be cancelled, and this server runs none (\`background: true\` is a 400): a stored response is a 400, an unknown one a 404. ${where}`,
      request: { params: ResponseIdParamsSchema },
      responses: {
        200: json(ResponseObjectSchema, "Never sent: there are no background responses"),
        ...errors(400, 404, ...COMMON),
      },
    }),
    (c) => {
      const id = c.req.valid("param").response_id;
      storedResponse(ctx, c, id);
      throw new ApiError(
        400,
        "Cannot cancel a synchronous response: only responses created with background=true can be cancelled, and this server runs none.",
      );
    },
  );
}
