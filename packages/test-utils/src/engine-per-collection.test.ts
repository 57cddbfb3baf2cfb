import { DeepRecallEngine, type VectorStore, type VectorStoreCollections } from "@deeprecall/core";
import { describe, expect, it } from "vitest";
import { enginePerCollection } from "./engine-per-collection.ts";
import { InMemoryVectorStore } from "./memory-store.ts";
import { scriptedModel } from "./scripted-model.ts";

/** Collections of in-memory stores; "archive" exists before anything is opened (as on disk). */
function memoryCollections() {
  const open = new Map<string, InMemoryVectorStore>([["archive", new InMemoryVectorStore()]]);
  let closed = false;
  const stores: VectorStoreCollections = {
    kind: "memory",
    listCollections: async () =>
      Promise.all([...open].map(async ([name, store]) => ({ name, count: await store.count() }))),
    open: (name) => {
      const store = open.get(name) ?? new InMemoryVectorStore();
      open.set(name, store);
      return store;
    },
    close: async () => {
      closed = true;
    },
  };
  return { stores, isClosed: () => closed };
}

describe("enginePerCollection", () => {
  const make = (store: VectorStore) => new DeepRecallEngine({ vectorStore: store, model: scriptedModel([]) });

  it("makes one engine per collection on first use and keeps it", async () => {
    const { stores } = memoryCollections();
    const collections = enginePerCollection(stores, make);
    expect(collections.served.defaultName).toBe("main");
    const main = collections.engineOf("main");
    expect(collections.engineOf("main")).toBe(main);
    expect(await collections.served.engineFor("main")).toBe(main);
    expect(main.vectorStore).toBe(stores.open("main"));
    await collections.close();
  });

  it("answers undefined for an unknown collection unless asked to create it", async () => {
    const { stores } = memoryCollections();
    const collections = enginePerCollection(stores, make, "default");
    expect(await collections.served.engineFor("nope")).toBeUndefined();
    expect(await collections.served.engineFor("archive")).toBeInstanceOf(DeepRecallEngine);
    const created = await collections.served.engineFor("fresh", { create: true });
    expect(created?.vectorStore).toBe(stores.open("fresh"));
    expect((await collections.served.list()).map((c) => c.name).sort()).toEqual(["archive", "fresh"]);
    expect(collections.opened()).toEqual(["archive", "fresh"]);
    await collections.close();
  });

  it("close() closes every engine it made, then the stores", async () => {
    const { stores, isClosed } = memoryCollections();
    const collections = enginePerCollection(stores, make);
    const engines = [collections.engineOf("main"), collections.engineOf("archive")];
    await collections.close();
    expect(isClosed()).toBe(true);
    for (const engine of engines) await expect(engine.query("q")).rejects.toThrow(/closed/i);
  });
});
