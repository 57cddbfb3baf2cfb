/**
 * The JSON shapes the console reads from the DeepRecall server (snake_case, as on the wire).
 * Only the fields the console uses are declared; the server may send more.
 */

/** OpenAI error body: every failed call answers `{ error: { message, type, param, code } }`. */
export interface ErrorBody {
  error: { message: string; type?: string; param?: string | null; code?: string | null };
}

/** A run's budget as the server reports it (`budget_status`). Seconds, tokens and USD as named. */
export interface BudgetStatus {
  iterations: number;
  search_calls: number;
  tokens: number;
  elapsed_seconds: number;
  cost_usd: number | null;
  /** Highest used/limit ratio over the limits set, 0..1 (can exceed 1 once a limit is hit); null without limits. */
  utilization: number | null;
  exceeded: boolean;
  exceeded_limit: string | null;
  limits: BudgetLimits;
}

/** The budget fields of a request (`deeprecall.budget`) and of `budget_status.limits`. */
export interface BudgetLimits {
  max_iterations?: number;
  max_search_calls?: number;
  max_tokens?: number;
  max_time_seconds?: number;
  max_cost_usd?: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One live trace event (`event: deeprecall.trace`); `elapsed_ms` counts from the request's start. */
export type TraceEvent = { elapsed_ms: number } & (
  | { type: "query-start"; run_id: string; query: string }
  | { type: "iteration-start"; iteration: number }
  | { type: "model-text"; iteration: number; text: string }
  | { type: "code"; iteration: number; index: number; code: string }
  | { type: "code-output"; iteration: number; index: number; output: string; error: string | null }
  | {
      type: "search";
      /** 0 is the grounding search the engine runs before the model's first turn. */
      iteration: number;
      query: string;
      top_k: number;
      hits: Array<{ id: string; score: number | null }>;
      time_ms: number;
      cached: boolean;
    }
  | {
      type: "sub-llm";
      iteration: number;
      depth: number;
      prompt: string;
      response: string;
      time_ms: number;
      error: string | null;
    }
  | {
      type: "iteration-complete";
      iteration: number;
      time_ms: number;
      usage: TokenUsage;
      final: boolean;
      budget_status: BudgetStatus | null;
    }
  | { type: "budget-warning"; message: string; budget_status: BudgetStatus | null }
);

/** A source of an answer (`deeprecall.sources[]`). `score` is the store's similarity. */
export interface Source {
  id: string;
  content: string;
  metadata: Record<string, unknown>;
  score: number;
}

/** A `url_citation` annotation; indices are UTF-16 offsets into the answer text, end exclusive. */
export interface UrlCitation {
  type: "url_citation";
  url_citation: { url: string; title: string; start_index: number; end_index: number };
}

/** The `deeprecall` extension object of a finished answer. */
export interface DeepRecallExtension {
  sources: Source[];
  confidence: number | null;
  budget_status: BudgetStatus | null;
  error: string | null;
  execution_time_ms: number;
  cost_usd: number | null;
  cached: boolean;
  /** The run's turns; each search lists the ids it returned, in order (how citations are numbered). */
  steps?: Array<{ iteration: number; searches?: Array<{ query: string; ids?: string[] }> }>;
}

/** One `chat.completion.chunk` (only what the console reads). */
export interface ChatChunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      annotations?: UrlCitation[];
    };
    finish_reason?: string | null;
  }>;
  usage?: TokenUsage | null;
  deeprecall?: DeepRecallExtension;
}

export interface ModelJson {
  id: string;
  object: "model";
  /** The collection a `deeprecall/<collection>` model answers from (when several are served). */
  collection?: string;
  /** Documents (chunks) in that collection. */
  documents?: number;
}

export interface DocumentJson {
  object: "document";
  id: string;
  content: string;
  metadata: Record<string, unknown>;
}

export interface DocumentListJson {
  object: "list";
  data: DocumentJson[];
  has_more: boolean;
  next_cursor: string | null;
}

/** One finished query of `usage.recent_queries` (newest first). */
export interface RecentQueryJson {
  query: string;
  model?: string;
  /** ISO 8601. */
  started_at: string;
  time_ms: number;
  total_tokens: number;
  cost_usd: number | null;
  error: string | null;
}

export interface UsageTotalsJson {
  total_queries: number;
  total_tokens: number;
  total_searches: number;
  /** Seconds, summed over queries. */
  total_time: number;
  errors: number;
  failed_queries: number;
  prompt_tokens: number;
  completion_tokens: number;
  llm_calls: number;
  search_calls: number;
  total_cost_usd: number;
  average_time_ms: number;
  by_model: Record<string, Record<string, number>>;
  since: string;
  recent_queries?: RecentQueryJson[];
}

export interface UsageReportJson {
  status: "ok";
  usage: UsageTotalsJson | null;
  message?: string;
}
