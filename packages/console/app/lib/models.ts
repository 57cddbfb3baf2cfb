import type { ModelJson } from "./api-types.ts";

/**
 * The models a question can go to, from `GET /v1/models`: the chat model (listed first, e.g.
 * `deeprecall`) and its collections (`deeprecall/<collection>`). The task model
 * (`deeprecall-task`: one direct model call, no retrieval) and embedding models are left out:
 * neither is the chat model nor one of its collections.
 */
export function chatModels(models: ModelJson[]): ModelJson[] {
  const first = models[0];
  if (!first) return [];
  const base = first.id;
  return models.filter((m) => m.id === base || m.id.startsWith(`${base}/`));
}

/** The collections the server serves, for the Documents picker: `undefined` is the default one. */
export function collectionsOf(
  models: ModelJson[],
): Array<{ name: string | undefined; label: string; documents?: number }> {
  const chat = chatModels(models);
  return chat.map((m, i) => {
    const documents = typeof m.documents === "number" ? { documents: m.documents } : {};
    if (i === 0)
      return { name: undefined, label: m.collection ? `${m.collection} (default)` : "default", ...documents };
    const name = m.collection ?? m.id.slice(chat[0]!.id.length + 1);
    return { name, label: name, ...documents };
  });
}

/** The collection a model answers from: `deeprecall/<collection>` → that name; the chat model itself → the default (undefined). */
export function modelCollection(model: string): string | undefined {
  const slash = model.indexOf("/");
  return slash === -1 ? undefined : model.slice(slash + 1) || undefined;
}
