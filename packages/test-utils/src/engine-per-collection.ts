import type { DeepRecallEngine, VectorStore, VectorStoreCollections } from "@deeprecall/core";

/** What {@link enginePerCollection} returns. */
export interface EnginePerCollection {
  /**
   * The `collections` option of `createApp` (`ServedCollections` in @deeprecall/server, matched
   * by shape: this package cannot depend on the server, whose tests depend on it).
   */
  served: {
    defaultName: string;
    list(): Promise<Array<{ name: string; count: number }>>;
    engineFor(name: string, options?: { create?: boolean }): Promise<DeepRecallEngine | undefined>;
  };
  /** The engine of collection `name`, made (and its collection opened) on first use. */
  engineOf(name: string): DeepRecallEngine;
  /** The collections whose engine has been made so far, in the order they were made. */
  opened(): string[];
  /** Closes every engine made so far, then the stores. */
  close(): Promise<void>;
}

/**
 * Serves every collection of `stores` with one engine each, as `deeprecall serve` does: the
 * engine of a collection is made by `makeEngine` on first use and kept; `engineFor` answers
 * undefined for a name that is neither open nor on disk (the server's 404) unless asked to
 * create it (a first upload into a new collection).
 */
export function enginePerCollection(
  stores: VectorStoreCollections,
  makeEngine: (store: VectorStore, name: string) => DeepRecallEngine,
  defaultName = "main",
): EnginePerCollection {
  const engines = new Map<string, DeepRecallEngine>();
  const engineOf = (name: string): DeepRecallEngine => {
    let engine = engines.get(name);
    if (!engine) {
      engine = makeEngine(stores.open(name), name);
      engines.set(name, engine);
    }
    return engine;
  };
  return {
    served: {
      defaultName,
      list: () => stores.listCollections(),
      engineFor: async (name, options) => {
        if (engines.has(name) || options?.create) return engineOf(name);
        const known = await stores.listCollections();
        return known.some((c) => c.name === name) ? engineOf(name) : undefined;
      },
    },
    engineOf,
    opened: () => [...engines.keys()],
    close: async () => {
      for (const engine of engines.values()) await engine.close();
      engines.clear();
      await stores.close();
    },
  };
}
