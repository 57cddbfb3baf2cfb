import { describe, expect, it } from "vitest";
import type { ModelJson } from "./api-types.ts";
import {
  chatModels,
  collectionOptionLabel,
  collectionsOf,
  modelCollection,
  modelOptionLabel,
} from "./models.ts";

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
      { name: undefined, label: "main", isDefault: true, documents: 3 },
      { name: "wiki", label: "wiki", documents: 9 },
    ]);
    expect(collectionsOf([m("deeprecall")])).toEqual([
      { name: undefined, label: "default", isDefault: true },
    ]);
  });
});

describe("collectionOptionLabel", () => {
  it("reads as words: the name, whether it is the default, how many documents", () => {
    expect(
      collectionOptionLabel({ name: undefined, label: "deeprecall", isDefault: true, documents: 3 }),
    ).toBe("deeprecall — default, 3 documents");
    expect(collectionOptionLabel({ name: undefined, label: "default", isDefault: true, documents: 1 })).toBe(
      "default — 1 document",
    );
    expect(collectionOptionLabel({ name: undefined, label: "default", isDefault: true })).toBe("default");
    expect(collectionOptionLabel({ name: "wiki", label: "wiki", documents: 9 })).toBe("wiki — 9 documents");
    expect(collectionOptionLabel({ name: "new", label: "new" })).toBe("new");
  });
});

describe("modelOptionLabel", () => {
  it("is the model id with its document count, every bracket closed", () => {
    expect(modelOptionLabel(m("deeprecall/contracts", { documents: 2 }))).toBe(
      "deeprecall/contracts — 2 documents",
    );
    expect(modelOptionLabel(m("deeprecall/wiki", { documents: 1 }))).toBe("deeprecall/wiki — 1 document");
    expect(modelOptionLabel(m("deeprecall"))).toBe("deeprecall");
  });
});

describe("modelCollection", () => {
  it("is the collection a model answers from, undefined for the default one", () => {
    expect(modelCollection("deeprecall/wiki")).toBe("wiki");
    expect(modelCollection("deeprecall")).toBeUndefined();
  });
});
