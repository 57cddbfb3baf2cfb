import type { ModelJson } from "./api-types.ts";
import { documentCount } from "./format.ts";

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

/** A collection the Documents picker offers: `name` undefined is the default one. */
export interface CollectionChoice {
  name: string | undefined;
  label: string;
  /** The collection plain `deeprecall` answers from. */
  isDefault?: boolean;
  documents?: number;
}

/** The collections the server serves, for the Documents picker, the default one first. */
export function collectionsOf(models: ModelJson[]): CollectionChoice[] {
  const chat = chatModels(models);
  return chat.map((m, i) => {
    const documents = typeof m.documents === "number" ? { documents: m.documents } : {};
    if (i === 0) return { name: undefined, label: m.collection ?? "default", isDefault: true, ...documents };
    const name = m.collection ?? m.id.slice(chat[0]!.id.length + 1);
    return { name, label: name, ...documents };
  });
}

/**
 * What the picker shows for a collection: "deeprecall — default, 3 documents", "wiki — 1
 * document". Words rather than stacked brackets ("deeprecall (default) (3)"), in the same
 * "name — count" form as the Model dropdown.
 */
export function collectionOptionLabel(c: CollectionChoice): string {
  const notes = [
    c.isDefault && c.label !== "default" ? "default" : null,
    c.documents !== undefined ? documentCount(c.documents) : null,
  ].filter((n) => n !== null);
  return notes.length > 0 ? `${c.label} — ${notes.join(", ")}` : c.label;
}

/** What the Model dropdown shows for a model: "deeprecall/contracts — 2 documents", or its id. */
export function modelOptionLabel(m: ModelJson): string {
  return typeof m.documents === "number" ? `${m.id} — ${documentCount(m.documents)}` : m.id;
}

/** The collection a model answers from: `deeprecall/<collection>` → that name; the chat model itself → the default (undefined). */
export function modelCollection(model: string): string | undefined {
  const slash = model.indexOf("/");
  return slash === -1 ? undefined : model.slice(slash + 1) || undefined;
}
