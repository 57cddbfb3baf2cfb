import type { SearchOptions, VectorStore } from "@deeprecall/core";

/** A store that passes everything to `inner` and records every search query that reaches it. */
export type CountingStore = VectorStore & { readonly searches: string[] };

export function countingStore(inner: VectorStore, name = inner.name): CountingStore {
  const searches: string[] = [];
  return {
    name,
    searches,
    addDocuments: (input) => inner.addDocuments(input),
    search: (query: string, options?: SearchOptions) => {
      searches.push(query);
      return inner.search(query, options);
    },
    delete: (ids) => inner.delete(ids),
    count: () => inner.count(),
  };
}
