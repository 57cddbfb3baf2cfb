import type {
  AddDocumentsInput,
  DeepRecallResult,
  EngineEvent,
  QueryBudget,
  QueryOptions,
  SearchOptions,
  SearchResult,
  VectorStore,
} from "./types.ts";

/** Cumulative usage reported by a `UsageTrackingCallback` (served at GET /v1/usage). */
export interface UsageReport {
  totalQueries: number;
  failedQueries: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  llmCalls: number;
  searchCalls: number;
  totalCostUsd: number;
  averageTimeMs: number;
  byModel: Record<
    string,
    { calls: number; inputTokens: number; outputTokens: number; totalTokens: number; costUsd?: number }
  >;
  since: string;
  /**
   * The most recent queries, newest first (a tracker keeps a bounded number; see
   * `UsageTrackingCallbackOptions.recentLimit`). Absent from trackers that keep no history.
   */
  recentQueries?: RecentQuery[];
}

/** One finished query as the usage tracker saw it. */
export interface RecentQuery {
  /** The question, cut to 500 characters. */
  query: string;
  /** When the query started, ISO 8601. */
  startedAt: string;
  /** Wall time of the run in ms. */
  timeMs: number;
  /** Tokens the run spent (input + output, every model). */
  totalTokens: number;
  /** What the run cost in USD; null when no pricing is configured. */
  costUsd: number | null;
  /** The run's `error` (e.g. a budget limit), null when it ended normally. */
  error: string | null;
}

/**
 * The surface of `DeepRecallEngine` that adapters (the HTTP server, the CLI) depend on.
 * Tests can hand adapters any object of this shape.
 */
export interface DeepRecallEngineApi {
  readonly vectorStore: VectorStore;
  /** Id of the root model, e.g. "gpt-4o-mini". */
  readonly modelId: string;
  /**
   * The limits every query runs under unless its own `budget` says otherwise (the engine's
   * `budget` option). Adapters that take budgets from untrusted callers (the HTTP server) use it
   * as a ceiling. Optional: engines written by hand may leave it out.
   */
  readonly budget?: Readonly<QueryBudget>;
  query(query: string, options?: QueryOptions): Promise<DeepRecallResult>;
  stream(query: string, options?: QueryOptions): AsyncIterable<EngineEvent>;
  addDocuments(input: AddDocumentsInput): Promise<string[]>;
  deleteDocuments(ids: string[]): Promise<void>;
  /** Plain store search (through the search cache), no LLM involved. */
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
  clearCache(): Promise<void>;
  /** Usage totals when a usage tracker is registered, else null. */
  usage(): Promise<UsageReport | null>;
  close(): Promise<void>;
}
