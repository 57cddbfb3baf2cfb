import { setTimeout as sleep } from "node:timers/promises";
import type {
  AddDocumentsInput,
  BudgetStatus,
  DeepRecallEngineApi,
  DeepRecallResult,
  EngineEvent,
  QueryOptions,
  SearchResult,
  VectorStore,
} from "@deeprecall/core";
import { InMemoryVectorStore } from "@deeprecall/test-utils";

/** The answer every double gives; the Python launcher returns the same text. */
export const BENCH_ANSWER =
  "The key themes are retrieval quality, latency budgets and cost control. Sources agree that " +
  "recursive search beats a single lookup when questions need several hops.";

const SOURCES: SearchResult[] = [
  {
    id: "doc-1",
    content: "Recursive retrieval improves multi-hop answers.",
    metadata: { page: 1 },
    score: 0.91,
  },
  {
    id: "doc-2",
    content: "Latency budgets keep interactive use responsive.",
    metadata: { page: 4 },
    score: 0.84,
  },
];

function budgetStatus(): BudgetStatus {
  return {
    iterations: 1,
    searchCalls: 1,
    tokens: 150,
    elapsedSeconds: 0,
    costUsd: null,
    utilization: null,
    exceeded: false,
    exceededLimit: null,
    limits: {},
  };
}

export function benchResult(query: string, executionTimeMs = 0): DeepRecallResult {
  return {
    answer: BENCH_ANSWER,
    sources: SOURCES,
    reasoningTrace: [
      {
        iteration: 1,
        modelText: "FINAL(...)",
        code: [],
        output: "",
        searches: [{ query, topK: 5, hits: 2, ids: ["doc-1", "doc-2"], timeMs: 0 }],
        subLLMCalls: [],
        timeMs: executionTimeMs,
        usage: { inputTokens: 100, outputTokens: 50, totalTokens: 150 },
        final: true,
      },
    ],
    usage: {
      inputTokens: 100,
      outputTokens: 50,
      totalTokens: 150,
      calls: 1,
      byModel: { "bench-double": { inputTokens: 100, outputTokens: 50, totalTokens: 150, calls: 1 } },
    },
    executionTimeMs,
    query,
    budgetStatus: budgetStatus(),
    confidence: 0.88,
  };
}

abstract class EngineDouble implements DeepRecallEngineApi {
  readonly vectorStore: VectorStore = new InMemoryVectorStore();
  readonly modelId = "bench-double";
  abstract query(query: string, options?: QueryOptions): Promise<DeepRecallResult>;
  abstract stream(query: string, options?: QueryOptions): AsyncIterable<EngineEvent>;
  addDocuments(input: AddDocumentsInput): Promise<string[]> {
    return this.vectorStore.addDocuments(input);
  }
  deleteDocuments(ids: string[]): Promise<void> {
    return this.vectorStore.delete(ids);
  }
  search(query: string, options?: { topK?: number }): Promise<SearchResult[]> {
    return this.vectorStore.search(query, options);
  }
  async clearCache(): Promise<void> {}
  async usage() {
    return null;
  }
  async close(): Promise<void> {}
}

/** Answers at once: what is left is the server's own cost. */
export class InstantEngine extends EngineDouble {
  async query(query: string): Promise<DeepRecallResult> {
    return benchResult(query);
  }
  async *stream(query: string): AsyncIterable<EngineEvent> {
    yield { type: "query-start", query, runId: "bench" };
    yield { type: "answer-delta", text: BENCH_ANSWER };
    yield { type: "result", result: benchResult(query) };
  }
}

/**
 * Works for `delayMs` before answering, like a real run waiting on its model: the stream emits
 * progress (iteration start, a search) at once, then the answer after the delay.
 */
export class SlowEngine extends EngineDouble {
  readonly delayMs: number;
  constructor(delayMs = 2000) {
    super();
    this.delayMs = delayMs;
  }
  async query(query: string, options?: QueryOptions): Promise<DeepRecallResult> {
    await sleep(this.delayMs, undefined, { signal: options?.signal });
    return benchResult(query, this.delayMs);
  }
  async *stream(query: string, options?: QueryOptions): AsyncIterable<EngineEvent> {
    yield { type: "query-start", query, runId: "bench" };
    yield { type: "iteration-start", iteration: 1 };
    yield {
      type: "search",
      iteration: 1,
      search: { query, topK: 5, hits: 2, ids: ["doc-1", "doc-2"], timeMs: 1 },
    };
    await sleep(this.delayMs, undefined, { signal: options?.signal });
    yield { type: "answer-delta", text: BENCH_ANSWER };
    yield { type: "result", result: benchResult(query, this.delayMs) };
  }
}
