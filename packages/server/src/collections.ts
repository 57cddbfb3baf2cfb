/** Several collections behind one server: which engine a `model` or a `collection` names. */
import { ApiError } from "./errors.ts";
import type { Engine, RouteContext } from "./routes/shared.ts";

/** What a request is answered from: the engine, and its collection (undefined: the default one). */
export interface Target {
  engine: Engine;
  /** The collection named by the request; undefined for the default collection. */
  collection: string | undefined;
}

/** The model id of a collection: `<modelName>/<collection>`. */
export function collectionModelId(ctx: RouteContext, name: string): string {
  return `${ctx.modelName}/${name}`;
}

type CollectionInfo = { name: string; count: number };

/** The collections other than the default one, sorted by name. */
export function othersOf(defaultName: string, all: CollectionInfo[]): CollectionInfo[] {
  return all
    .filter((c) => c.name !== defaultName)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The served collections other than the default one, with counts (none without `collections`). */
export async function otherCollections(ctx: RouteContext): Promise<CollectionInfo[]> {
  const served = ctx.collections;
  return served ? othersOf(served.defaultName, await served.list()) : [];
}

/** Every model id this server answers to, in the order `GET /v1/models` lists them. */
export async function servedModelIds(ctx: RouteContext): Promise<string[]> {
  const others = await otherCollections(ctx).catch(() => []);
  const ids = [
    ctx.modelName,
    ...others.map((c) => collectionModelId(ctx, c.name)),
    ...(ctx.task ? [ctx.task.name] : []),
    ...(ctx.embedding?.ids ?? []),
  ];
  return [...new Set(ids)];
}

async function lookUp(ctx: RouteContext, name: string, create: boolean): Promise<Target | undefined> {
  const served = ctx.collections;
  if (!served) return undefined;
  if (name === served.defaultName) return { engine: ctx.engine, collection: undefined };
  const engine = (await served.engineFor(name, create ? { create: true } : {})) as Engine | undefined;
  if (!engine) return undefined;
  ctx.onEngine?.(engine);
  return { engine, collection: name };
}

/**
 * The engine of a chat/responses/completions `model`: `<modelName>` (or none) → the default
 * engine, `<modelName>/<collection>` → that collection's. Anything else → 404
 * `model_not_found` naming the served ids.
 */
export async function targetOfModel(ctx: RouteContext, model: string | null | undefined): Promise<Target> {
  if (model === undefined || model === null || model === ctx.modelName) {
    return { engine: ctx.engine, collection: undefined };
  }
  const prefix = `${ctx.modelName}/`;
  if (ctx.collections && model.startsWith(prefix) && model.length > prefix.length) {
    const target = await lookUp(ctx, model.slice(prefix.length), false);
    if (target) return target;
  }
  const shown = model.slice(0, 200);
  // The task and embedding models are listed by /v1/models but answer elsewhere: say so, as
  // OpenAI does for a model used with the wrong endpoint, instead of "does not exist".
  const elsewhere =
    model === ctx.task?.name
      ? "it is the task model, which answers chat completions only"
      : ctx.embedding?.ids.includes(model)
        ? "it is the embedding model, which answers /v1/embeddings only"
        : undefined;
  if (elsewhere) {
    const here = [
      ctx.modelName,
      ...(await otherCollections(ctx).catch(() => [])).map((c) => collectionModelId(ctx, c.name)),
    ];
    throw new ApiError(
      404,
      `The model '${shown}' is not supported by this endpoint: ${elsewhere}. Use ${[...new Set(here)].join(", ")}.`,
      { param: "model", code: "model_not_found" },
    );
  }
  throw new ApiError(
    404,
    `The model '${shown}' does not exist or you do not have access to it. This server serves: ${(await servedModelIds(ctx)).join(", ")}.`,
    { param: "model", code: "model_not_found" },
  );
}

/**
 * The engine of a documents/search request's `collection` (none → the default collection).
 * Unknown → 404 `collection_not_found` naming the collections; `create` (adding documents)
 * creates a new collection instead.
 */
export async function targetOfCollection(
  ctx: RouteContext,
  collection: string | undefined,
  options: { create?: boolean } = {},
): Promise<Target> {
  if (collection === undefined) return { engine: ctx.engine, collection: undefined };
  const target = await lookUp(ctx, collection, options.create === true);
  if (target) return target;
  const shown = collection.slice(0, 200);
  if (!ctx.collections) {
    throw new ApiError(
      404,
      `No collection '${shown}': this server serves a single collection (leave 'collection' out).`,
      { param: "collection", code: "collection_not_found" },
    );
  }
  const names = [ctx.collections.defaultName, ...(await otherCollections(ctx)).map((c) => c.name)];
  throw new ApiError(
    404,
    `No collection '${shown}'. This server serves the collections: ${[...new Set(names)].join(", ")}.`,
    { param: "collection", code: "collection_not_found" },
  );
}
