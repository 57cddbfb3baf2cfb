/** GET /v1/models and GET /v1/models/{id}. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { collectionModelId, othersOf, servedModelIds } from "../collections.ts";
import { checkModel } from "../params.ts";
import { ModelListSchema, ModelSchema } from "../schemas.ts";
import { type App, COMMON, errors, json, type RouteContext, type ServerEnv } from "./shared.ts";

export { servedModelIds };

type ModelJson = {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  collection?: string;
  documents?: number;
};

/**
 * The model objects: `<modelName>` (the default collection), `<modelName>/<collection>` for each
 * other collection — with `collection` and `documents` (its count) when several are served —
 * then the task and embedding models.
 */
async function modelObjects(ctx: RouteContext): Promise<ModelJson[]> {
  const base = (id: string): ModelJson => ({
    id,
    object: "model",
    created: ctx.modelCreated,
    owned_by: "deeprecall",
  });
  const out: ModelJson[] = [];
  const served = ctx.collections;
  if (served) {
    const all = await served.list();
    const own = all.find((c) => c.name === served.defaultName);
    const count = own ? own.count : await ctx.engine.vectorStore.count();
    out.push({ ...base(ctx.modelName), collection: served.defaultName, documents: count });
    for (const c of othersOf(served.defaultName, all)) {
      out.push({ ...base(collectionModelId(ctx, c.name)), collection: c.name, documents: c.count });
    }
  } else {
    out.push(base(ctx.modelName));
  }
  for (const id of [...(ctx.task ? [ctx.task.name] : []), ...(ctx.embedding?.ids ?? [])]) {
    if (!out.some((m) => m.id === id)) out.push(base(id));
  }
  return out;
}

export function registerModels(app: App, ctx: RouteContext): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      tags: ["OpenAI"],
      summary: "List models",
      description:
        "The chat model `deeprecall` (the default collection) and, when the server serves several collections, `deeprecall/<collection>` for each other one — with `collection` and `documents` (its document count) — then the task model and the embedding model.",
      responses: { 200: json(ModelListSchema, "The models"), ...errors(502, 503, ...COMMON) },
    }),
    async (c) => c.json({ object: "list" as const, data: await modelObjects(ctx) }, 200),
  );
  const retrieve = async (c: Context<ServerEnv>, id: string) => {
    const models = await modelObjects(ctx);
    const model = models.find((m) => m.id === id);
    if (!model) checkModel(id, await servedModelIds(ctx));
    return c.json(model!, 200);
  };
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{id}",
      tags: ["OpenAI"],
      summary: "Retrieve a model",
      description: "A collection's model id may be sent with its slash as is or encoded (`deeprecall%2Fa`).",
      request: { params: ModelSchema.pick({ id: true }) },
      responses: { 200: json(ModelSchema, "The model"), ...errors(404, ...COMMON) },
    }),
    (c) => retrieve(c, c.req.valid("param").id) as never,
  );
  // `deeprecall/<collection>` with its slash unencoded (not in the OpenAPI document).
  app.get("/v1/models/:owner/:name", (c) => retrieve(c, `${c.req.param("owner")}/${c.req.param("name")}`));
}
