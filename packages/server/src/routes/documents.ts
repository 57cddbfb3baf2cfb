/** POST/DELETE /v1/documents, GET /v1/documents/{id} and POST /v1/search: the vector store, no LLM. */
import type { DeepRecallEngineApi } from "@deeprecall/core";
import { validateAddDocumentsInput } from "@deeprecall/core";
import { createRoute, z } from "@hono/zod-openapi";
import { targetOfCollection } from "../collections.ts";
import { checkFilters, sourceJson } from "../convert.ts";
import { searchDocuments } from "../document-search.ts";
import { ApiError, methodNotAllowed } from "../errors.ts";
import {
  AddDocumentsRequestSchema,
  AddDocumentsResponseSchema,
  CollectionQuerySchema,
  DeleteDocumentsRequestSchema,
  DeleteDocumentsResponseSchema,
  DocumentListSchema,
  DocumentSchema,
  ListDocumentsQuerySchema,
  SearchRequestSchema,
  SearchResponseSchema,
} from "../schemas.ts";
import {
  type App,
  COMMON,
  type Engine,
  errors,
  json,
  jsonBody,
  jsonRoute,
  type RouteContext,
} from "./shared.ts";
import { UPLOAD_PATH } from "./upload.ts";

/** Stores may say which ids they hold; the ones that do make deletes one call. */
type HasIds = { has?: (ids: string[]) => Promise<boolean[]> };
/** Stores may fetch documents by id (none of ours must; `list` is the fallback). */
type GetsIds = {
  get?: (
    ids: string[],
  ) => Promise<Array<{ id: string; content: string; metadata?: Record<string, unknown> } | null>>;
};

const LIST_PAGE = 1000;

/**
 * The stored document `id`: the store's own `get(ids)` when it has one; else, after `has(ids)`
 * says it is there (when the store can say), a walk through the store's `list()` pages. Never a
 * similarity search. null when the store does not hold it; throws 501 when the store can
 * neither get nor list.
 */
async function findDocument(
  store: DeepRecallEngineApi["vectorStore"],
  id: string,
  signal: AbortSignal,
): Promise<{ id: string; content: string; metadata: Record<string, unknown> } | null> {
  const s = store as DeepRecallEngineApi["vectorStore"] & HasIds & GetsIds;
  if (typeof s.get === "function") {
    const [doc] = await s.get([id]);
    return doc ? { id: doc.id, content: doc.content, metadata: doc.metadata ?? {} } : null;
  }
  if (typeof s.list !== "function") {
    throw new ApiError(501, `The ${store.name} store cannot look documents up by id.`, {
      code: "not_implemented",
    });
  }
  if (typeof s.has === "function" && !(await s.has([id]))[0]) return null;
  let cursor: string | undefined;
  do {
    const page = await s.list({ limit: LIST_PAGE, signal, ...(cursor ? { cursor } : {}) });
    const doc = page.documents.find((d) => d.id === id);
    if (doc) return { id: doc.id, content: doc.content, metadata: doc.metadata ?? {} };
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return null;
}

/**
 * Deletes `ids` and says which were there. With a store that implements `has(ids)` that is one
 * lookup and one delete; otherwise each id is deleted on its own and counted (the store's count
 * drops by one exactly when the id existed).
 */
async function deleteAndReport(
  engine: Engine,
  ids: string[],
): Promise<{ removed: string[]; notFound: string[] }> {
  const unique = [...new Set(ids)];
  const store = engine.vectorStore as DeepRecallEngineApi["vectorStore"] & HasIds;
  const removed: string[] = [];
  const notFound: string[] = [];
  if (typeof store.has === "function") {
    const present = await store.has(unique);
    unique.forEach((id, i) => {
      (present[i] ? removed : notFound).push(id);
    });
    if (removed.length > 0) await engine.deleteDocuments(removed);
    return { removed, notFound };
  }
  let before = await store.count();
  for (const id of unique) {
    await engine.deleteDocuments([id]);
    const after = await store.count();
    (after < before ? removed : notFound).push(id);
    before = after;
  }
  return { removed, notFound };
}

export function registerDocuments(app: App, ctx: RouteContext): void {
  jsonRoute(
    app,
    ctx,
    createRoute({
      method: "post",
      path: "/v1/documents",
      tags: ["DeepRecall"],
      summary: "Add documents to the vector store",
      description:
        "Adds to the default collection, or to `collection` (created when new, and then served as the model `deeprecall/<collection>` when the server serves several collections).",
      request: { body: jsonBody(AddDocumentsRequestSchema) },
      responses: {
        200: json(AddDocumentsResponseSchema, "The ids written"),
        ...errors(400, 404, 413, 502, 503, ...COMMON),
      },
    }),
    AddDocumentsRequestSchema,
    async (c, { collection, ...rest }) => {
      const input = rest as Parameters<DeepRecallEngineApi["addDocuments"]>[0];
      validateAddDocumentsInput(input);
      const { engine } = await targetOfCollection(ctx, collection, { create: true });
      const ids = await engine.addDocuments(input);
      return c.json({ ids, count: ids.length }, 200);
    },
  );

  jsonRoute(
    app,
    ctx,
    createRoute({
      method: "delete",
      path: "/v1/documents",
      tags: ["DeepRecall"],
      summary: "Delete documents by id",
      description:
        "Removes the documents with these ids from the default collection or `collection`; says which were removed and which the store did not hold.",
      request: { body: jsonBody(DeleteDocumentsRequestSchema) },
      responses: {
        200: json(DeleteDocumentsResponseSchema, "Deleted"),
        ...errors(400, 404, 502, 503, ...COMMON),
      },
    }),
    DeleteDocumentsRequestSchema,
    async (c, { ids, collection }) => {
      const { engine } = await targetOfCollection(ctx, collection);
      const { removed, notFound } = await deleteAndReport(engine, ids);
      return c.json(
        { ids: removed, count: removed.length, deleted: removed.length > 0, not_found: notFound },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/documents",
      tags: ["DeepRecall"],
      summary: "List documents",
      description:
        "A page of the documents (chunks) of the default collection or `collection`, in the store's own stable order; follow `next_cursor` (as `after`) for the next page. With `q`, only the documents whose content or `source`/`title`/`path` metadata contain that text (case-insensitive): the store is scanned until `limit` matches are found or it ends, and `next_cursor` resumes right after the last match (pass it with the same `q`). 501 for a store that cannot list.",
      request: { query: ListDocumentsQuerySchema },
      responses: {
        200: json(DocumentListSchema, "A page of documents"),
        ...errors(400, 404, 501, 502, 503, ...COMMON),
      },
    }),
    async (c) => {
      const { collection, limit, after, q } = c.req.valid("query");
      const { engine } = await targetOfCollection(ctx, collection);
      const store = engine.vectorStore;
      if (typeof store.list !== "function") {
        throw new ApiError(501, `The ${store.name} store cannot list its documents.`, {
          code: "not_implemented",
        });
      }
      const search = q?.trim();
      const signal = c.req.raw.signal;
      const page = search
        ? await searchDocuments(store.list.bind(store), {
            q: search,
            limit: limit ?? 100,
            after,
            signal,
          })
        : await store.list({ limit: limit ?? 100, signal, ...(after ? { cursor: after } : {}) });
      const data = page.documents.map((d) => ({
        object: "document" as const,
        id: d.id,
        content: d.content,
        metadata: d.metadata ?? {},
      }));
      const next = page.nextCursor ?? null;
      return c.json({ object: "list" as const, data, has_more: next !== null, next_cursor: next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/documents/{id}",
      tags: ["DeepRecall"],
      summary: "Get a document by id",
      description:
        "The stored document (content and metadata): where the `url_citation` links of chat answers point for sources without their own http(s) `metadata.url`. Looked up with the store's `get` when it has one, else by paging through its `list` (never a similarity search); 501 for a store that can do neither.",
      request: { params: z.object({ id: z.string().min(1) }), query: CollectionQuerySchema },
      responses: {
        200: json(DocumentSchema, "The document"),
        ...errors(400, 404, 501, 502, 503, ...COMMON),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (id === "upload") throw methodNotAllowed(c.req.method, UPLOAD_PATH, ["POST"]);
      const { collection } = c.req.valid("query");
      const { engine } = await targetOfCollection(ctx, collection);
      const doc = await findDocument(engine.vectorStore, id, c.req.raw.signal);
      if (!doc) {
        const where = collection === undefined ? "the store" : `the collection '${collection}'`;
        throw new ApiError(404, `No document with id '${id.slice(0, 200)}' in ${where}.`, {
          param: "id",
          code: "document_not_found",
        });
      }
      return c.json({ object: "document" as const, ...doc }, 200);
    },
  );

  jsonRoute(
    app,
    ctx,
    createRoute({
      method: "post",
      path: "/v1/search",
      tags: ["DeepRecall"],
      summary: "Search the vector store (no LLM)",
      description: "Searches the default collection, or `collection`.",
      request: { body: jsonBody(SearchRequestSchema) },
      responses: {
        200: json(SearchResponseSchema, "Hits, best first"),
        ...errors(400, 404, 502, 503, ...COMMON),
      },
    }),
    SearchRequestSchema,
    async (c, { query, top_k, filters, collection }) => {
      const { engine } = await targetOfCollection(ctx, collection);
      const searchOptions: Parameters<DeepRecallEngineApi["search"]>[1] = { signal: c.req.raw.signal };
      if (top_k !== undefined) searchOptions.topK = top_k;
      if (filters !== undefined) searchOptions.filters = checkFilters(filters, "filters");
      const hits = await engine.search(query, searchOptions);
      return c.json({ object: "list" as const, data: hits.map(sourceJson), query }, 200);
    },
  );
}
