import { describe, expect, it } from "vitest";
import type { ModelJson } from "./api-types.ts";
import { chatModels, collectionsOf, modelCollection } from "./models.ts";

const m = (id: string, extra: Partial<ModelJson> = {}): ModelJson => ({ id, object: "model", ...extra });

describe("chatModels", () => {
  it("keeps the chat model and its collections, not the task or embedding models", () => {
    const list = [
      m("deeprecall", { collection: "default", documents: 3 }),
      m("deeprecall/wiki", { collection: "wiki", documents: 9 }),
      m("deeprecall-task"),
      m("text-embedding-3-small"),
      m("deeprecall-embedding"),
    ];
    expect(chatModels(list).map((x) => x.id)).toEqual(["deeprecall", "deeprecall/wiki"]);
    expect(chatModels([])).toEqual([]);
    expect(chatModels([m("acme-rag"), m("acme-rag/x"), m("acme-rag-task")]).map((x) => x.id)).toEqual([
      "acme-rag",
      "acme-rag/x",
    ]);
  });
});

describe("collectionsOf", () => {
  it("names the default collection undefined and the others by name, with counts", () => {
    expect(
      collectionsOf([
        m("deeprecall", { collection: "main", documents: 3 }),
        m("deeprecall/wiki", { documents: 9 }),
      ]),
    ).toEqual([
      { name: undefined, label: "main (default)", documents: 3 },
      { name: "wiki", label: "wiki", documents: 9 },
    ]);
    expect(collectionsOf([m("deeprecall")])).toEqual([{ name: undefined, label: "default" }]);
  });
});

describe("modelCollection", () => {
  it("is the collection a model answers from, undefined for the default one", () => {
    expect(modelCollection("deeprecall/wiki")).toBe("wiki");
    expect(modelCollection("deeprecall")).toBeUndefined();
  });
});
