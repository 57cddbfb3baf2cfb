import { matchesFilter, validateFilter } from "../filters.ts";
import { validateAddDocumentsInput } from "../store-input.ts";
import type { AddDocumentsInput, SearchOptions, SearchResult, VectorStore } from "../types.ts";

/**
 * A store double for engine tests: keeps documents in memory and scores by the fraction of
 * query words a document contains. Counts calls and can be told to fail.
 */
export class MemoryStore implements VectorStore {
  readonly name = "memory";
  readonly docs = new Map<string, { content: string; metadata: Record<string, unknown> }>();
  searchCalls: string[] = [];
  failNext: unknown[] = [];
  searchDelayMs = 0;

  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    const ids = validateAddDocumentsInput(input);
    for (const [i, content] of input.documents.entries()) {
      this.docs.set(ids[i]!, { content, metadata: input.metadatas?.[i] ?? {} });
    }
    return ids;
  }

  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    this.searchCalls.push(query);
    if (this.failNext.length > 0) throw this.failNext.shift();
    if (this.searchDelayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.searchDelayMs);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(options.signal?.reason);
        });
      });
    }
    if (options.filters) validateFilter(options.filters);
    const words = query.toLowerCase().split(/\W+/).filter(Boolean);
    const hits: SearchResult[] = [];
    for (const [id, doc] of this.docs) {
      if (!matchesFilter(doc.metadata, options.filters)) continue;
      const text = doc.content.toLowerCase();
      const matched = words.filter((w) => text.includes(w)).length;
      if (matched === 0) continue;
      hits.push({ id, content: doc.content, metadata: doc.metadata, score: matched / words.length });
    }
    hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return hits.slice(0, options.topK ?? 5);
  }

  async delete(ids: string[]): Promise<void> {
    for (const id of ids) this.docs.delete(id);
  }

  async count(): Promise<number> {
    return this.docs.size;
  }
}
