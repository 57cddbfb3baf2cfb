/** GET /v1/models and GET /v1/models/{id}. */
import { createRoute } from "@hono/zod-openapi";
import { checkModel } from "../params.ts";
import { ModelListSchema, ModelSchema } from "../schemas.ts";
import { type App, COMMON, errors, json, type RouteContext } from "./shared.ts";

export function servedModels(ctx: RouteContext): string[] {
  const ids = [ctx.modelName, ...(ctx.task ? [ctx.task.name] : []), ...(ctx.embedding?.ids ?? [])];
  return [...new Set(ids)];
}

export function registerModels(app: App, ctx: RouteContext): void {
  const modelJson = (id: string) => ({
    id,
    object: "model" as const,
    created: ctx.modelCreated,
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
    (c) => c.json({ object: "list" as const, data: servedModels(ctx).map(modelJson) }, 200),
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
      checkModel(id, servedModels(ctx));
      return c.json(modelJson(id), 200);
    },
  );
}
