import type {
  AddDocumentsInput,
  DeepRecallEngineApi,
  DeepRecallResult,
  EngineEvent,
  QueryOptions,
  SearchOptions,
  SearchResult,
  UsageReport,
  VectorStore,
} from "@deeprecall/core";
import { matchesFilter, validateAddDocumentsInput } from "@deeprecall/core";

/**
 * A small, fully scripted DeepRecallEngineApi for the server tests that need exact control
 * over what the engine does and when: failures of every kind, streams that wait for the test
 * (keep-alive, client disconnect/abort), recorded options. The end-to-end tests use the real
 * DeepRecallEngine instead.
 */
export class MemoryStore implements VectorStore {
  readonly name: string;
  readonly docs = new Map<string, { content: string; metadata: Record<string, unknown> }>();
  failWith: Error | undefined;
  constructor(name = "memory") {
    this.name = name;
  }
  async addDocuments(input: AddDocumentsInput): Promise<string[]> {
    if (this.failWith) throw this.failWith;
    const ids = validateAddDocumentsInput(input);
    ids.forEach((id, i) => {
      this.docs.set(id, { content: input.documents[i]!, metadata: { ...(input.metadatas?.[i] ?? {}) } });
    });
    return ids;
  }
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult[]> {
    if (this.failWith) throw this.failWith;
    const words = query.toLowerCase().split(/\W+/).filter(Boolean);
    const hits: SearchResult[] = [];
    for (const [id, doc] of this.docs) {
      if (!matchesFilter(doc.metadata, options.filters)) continue;
      const text = doc.content.toLowerCase();
      const matched = words.filter((w) => text.includes(w)).length;
      if (matched > 0)
        hits.push({ id, content: doc.content, metadata: doc.metadata, score: matched / words.length });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, options.topK ?? 5);
  }
  async delete(ids: string[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const id of ids) this.docs.delete(id);
  }
  async count(): Promise<number> {
    if (this.failWith) throw this.failWith;
    return this.docs.size;
  }
}

export function makeResult(
  query: string,
  answer: string,
  overrides: Partial<DeepRecallResult> = {},
): DeepRecallResult {
  return {
    answer,
    sources: [],
    reasoningTrace: [],
    usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150, calls: 2, byModel: {} },
    executionTimeMs: 12,
    query,
    budgetStatus: {
      iterations: 1,
      searchCalls: 1,
      tokens: 150,
      elapsedSeconds: 0.01,
      costUsd: null,
      utilization: null,
      exceeded: false,
      exceededLimit: null,
      limits: {},
    },
    confidence: 0.5,
    ...overrides,
  };
}

export type StreamScript = (query: string, options: QueryOptions) => AsyncIterable<EngineEvent>;

export class ScriptedEngine implements DeepRecallEngineApi {
  readonly vectorStore: MemoryStore;
  readonly modelId = "scripted-model";
  readonly calls: Array<{ method: string; query?: string; options?: QueryOptions }> = [];
  /** Replace to script `query()`. */
  onQuery: (query: string, options: QueryOptions) => Promise<DeepRecallResult>;
  /** Replace to script `stream()`. */
  onStream: StreamScript;
  usageReport: UsageReport | null = null;
  cacheClears = 0;

  constructor(store = new MemoryStore()) {
    this.vectorStore = store;
    this.onQuery = async (query, options) => this.#answer(query, options);
    this.onStream = (query, options) => this.#defaultStream(query, options);
  }

  async #answer(query: string, options: QueryOptions): Promise<DeepRecallResult> {
    const sources = await this.vectorStore.search(query, {
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      ...(options.filters ? { filters: options.filters } : {}),
    });
    return makeResult(query, `Answer to: ${query}`, {
      sources,
      confidence: sources[0]?.score ?? null,
      reasoningTrace: [
        {
          iteration: 1,
          modelText: "```repl\nprint(searchDb('x').length)\n```",
          code: ["print(searchDb('x').length)"],
          output: String(sources.length),
          searches: [
            {
              query,
              topK: options.topK ?? 5,
              hits: sources.length,
              ids: sources.map((s) => s.id),
              timeMs: 1,
            },
          ],
          subLLMCalls: [],
          timeMs: 3,
          usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
          final: true,
        },
      ],
    });
  }

  async *#defaultStream(query: string, options: QueryOptions): AsyncIterable<EngineEvent> {
    yield { type: "query-start", query, runId: "run-1" };
    yield { type: "iteration-start", iteration: 1 };
    yield {
      type: "code",
      iteration: 1,
      index: 0,
      code: `const hits = searchDb(${JSON.stringify(query)})\nprint(hits.length)`,
    };
    const result = await this.#answer(query, options);
    yield {
      type: "search",
      iteration: 1,
      search: {
        query,
        topK: 5,
        hits: result.sources.length,
        ids: result.sources.map((s) => s.id),
        timeMs: 1,
      },
    };
    yield { type: "code-output", iteration: 1, index: 0, output: String(result.sources.length) };
    for (const piece of result.answer.match(/.{1,6}/gs) ?? []) yield { type: "answer-delta", text: piece };
    yield { type: "result", result };
  }

  query(query: string, options: QueryOptions = {}): Promise<DeepRecallResult> {
    this.calls.push({ method: "query", query, options });
    return this.onQuery(query, options);
  }
  stream(query: string, options: QueryOptions = {}): AsyncIterable<EngineEvent> {
    this.calls.push({ method: "stream", query, options });
    return this.onStream(query, options);
  }
  addDocuments(input: AddDocumentsInput): Promise<string[]> {
    this.calls.push({ method: "addDocuments" });
    return this.vectorStore.addDocuments(input);
  }
  deleteDocuments(ids: string[]): Promise<void> {
    this.calls.push({ method: "deleteDocuments" });
    return this.vectorStore.delete(ids);
  }
  search(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    this.calls.push({ method: "search", query });
    return this.vectorStore.search(query, options);
  }
  async clearCache(): Promise<void> {
    this.cacheClears++;
  }
  async usage(): Promise<UsageReport | null> {
    return this.usageReport;
  }
  async close(): Promise<void> {}
}

/** A promise with its resolver, for tests that wait on events instead of time. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
