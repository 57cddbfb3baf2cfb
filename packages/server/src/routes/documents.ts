/** POST/DELETE /v1/documents and POST /v1/search: the vector store, no LLM. */
import type { DeepRecallEngineApi } from "@deeprecall/core";
import { validateAddDocumentsInput } from "@deeprecall/core";
import { createRoute } from "@hono/zod-openapi";
import { checkFilters, sourceJson } from "../convert.ts";
import {
  AddDocumentsRequestSchema,
  AddDocumentsResponseSchema,
  DeleteDocumentsRequestSchema,
  DeleteDocumentsResponseSchema,
  SearchRequestSchema,
  SearchResponseSchema,
} from "../schemas.ts";
import { type App, COMMON, type Engine, errors, json, jsonBody, type RouteContext } from "./shared.ts";

/** Stores may say which ids they hold; the ones that do make deletes one call. */
type HasIds = { has?: (ids: string[]) => Promise<boolean[]> };

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
  const { engine } = ctx;
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
      description:
        "Removes the documents with these ids; says which were removed and which the store did not hold.",
      request: { body: jsonBody(DeleteDocumentsRequestSchema) },
      responses: { 200: json(DeleteDocumentsResponseSchema, "Deleted"), ...errors(400, 502, 503, ...COMMON) },
    }),
    async (c) => {
      const { ids } = c.req.valid("json");
      const { removed, notFound } = await deleteAndReport(engine, ids);
      return c.json(
        { ids: removed, count: removed.length, deleted: removed.length > 0, not_found: notFound },
        200,
      );
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
}
