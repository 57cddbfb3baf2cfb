import type { EmbeddingModel, LanguageModel, ModelMessage } from "ai";

/** Metadata stored with a document. Values are JSON scalars (or arrays of them). */
export type MetadataValue = string | number | boolean | null | Array<string | number | boolean>;
export type Metadata = Record<string, MetadataValue>;

/** Chroma's filter operator set: equality shorthand, comparison, set membership and logic. */
export type FilterOperatorExpression = {
  $eq?: MetadataValue;
  $ne?: MetadataValue;
  $gt?: number;
  $gte?: number;
  $lt?: number;
  $lte?: number;
  $in?: Array<string | number | boolean>;
  $nin?: Array<string | number | boolean>;
};
export type MetadataFilter =
  | { $and: MetadataFilter[] }
  | { $or: MetadataFilter[] }
  | { [field: string]: MetadataValue | FilterOperatorExpression };

export interface SearchResult {
  id: string;
  content: string;
  metadata: Record<string, unknown>;
  /** Similarity in [0, 1], higher is better. */
  score: number;
}

export interface AddDocumentsInput {
  documents: string[];
  metadatas?: Metadata[];
  ids?: string[];
  embeddings?: number[][];
}

export interface SearchOptions {
  topK?: number;
  filters?: MetadataFilter;
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Documents per page (1-1000). Default 100. */
  limit?: number;
  /** `nextCursor` of the previous page; omitted for the first page. */
  cursor?: string;
  signal?: AbortSignal;
}

/** A stored document as `list` returns it. */
export interface StoredDocument {
  id: string;
  content: string;
  metadata: Record<string, unknown>;
}

/** One page of `VectorStore.list`. */
export interface ListPage {
  documents: StoredDocument[];
  /**
   * Opaque cursor of the next page, or null after the last one. Following the cursors from the
   * first page visits every document once when the store is not written to meanwhile; the order
   * is the store's own (stable, not by relevance).
   */
  nextCursor: string | null;
}

export interface VectorStore {
  readonly name: string;
  addDocuments(input: AddDocumentsInput): Promise<string[]>;
  search(query: string, options?: SearchOptions): Promise<SearchResult[]>;
  delete(ids: string[]): Promise<void>;
  count(): Promise<number>;
  /** Pages through what the store holds (optional; local, Chroma and Pinecone stores have it). */
  list?(options?: ListOptions): Promise<ListPage>;
  close?(): Promise<void>;
}

/** A collection of a store (a local or Chroma collection, a Pinecone namespace) and its size. */
export interface CollectionInfo {
  name: string;
  /** Documents (chunks) it holds. */
  count: number;
}

/**
 * The collections of one store backend (`LocalStore.collections()`, `ChromaStore.collections()`,
 * `PineconeStore.collections()`): list them with their sizes, and open the store of one.
 */
export interface VectorStoreCollections {
  /** The backend, e.g. "local", "chroma", "pinecone". */
  readonly kind: string;
  /** Every collection that exists, sorted by name, with its document count. */
  listCollections(options?: { signal?: AbortSignal }): Promise<CollectionInfo[]>;
  /**
   * The store of collection `name` (created on its first write). The same open instance is
   * returned until it is closed, so callers in one process share it.
   */
  open(name: string): VectorStore;
  /** Closes every store `open` returned. */
  close(): Promise<void>;
}

/** A plain embedding function: one vector per input text, in order. */
export type EmbeddingFunction = (texts: string[], options?: { signal?: AbortSignal }) => Promise<number[][]>;
/** What stores accept as `embedding`: an AI SDK embedding model or a plain function. */
export type Embedding = EmbeddingModel | EmbeddingFunction;

/**
 * Limits of one query. Every model call and search is admitted against them before it goes out;
 * once a limit is spent, nothing new starts (calls already in flight may overshoot) and the run
 * ends with a best-effort answer, `error` naming the limit and `budgetStatus.exceededLimit` set.
 */
export interface QueryBudget {
  /** Root-loop turns (model replies) before the run is ended; the engine's `maxIterations` also applies. */
  maxIterations?: number;
  /** Store searches (the grounding search, every searchDb call, at any depth). */
  maxSearchCalls?: number;
  /** Tokens (input + output) over every model call of the run, estimated when a backend reports none. */
  maxTokens?: number;
  /** Wall time of the run in seconds; when it passes, everything in flight is aborted. */
  maxTimeSeconds?: number;
  /** USD over every model call (needs `pricing` or a provider that reports cost). */
  maxCostUsd?: number;
}

export interface BudgetStatus {
  iterations: number;
  searchCalls: number;
  tokens: number;
  elapsedSeconds: number;
  costUsd: number | null;
  /** Fraction (0..1) of the tightest configured limit used; null when no limit is set. */
  utilization: number | null;
  exceeded: boolean;
  /** Which limit was hit, e.g. "maxSearchCalls". */
  exceededLimit: string | null;
  limits: QueryBudget;
}

export interface SearchRecord {
  query: string;
  topK: number;
  filters?: MetadataFilter;
  hits: number;
  /** Ids of the hits, best first. */
  ids: string[];
  /** The hits' scores, in the order of `ids` (higher is more relevant; the store's own scale). */
  scores?: number[];
  timeMs: number;
  cached?: boolean;
}

export interface SubLLMCall {
  prompt: string;
  response: string;
  depth: number;
  timeMs: number;
  error?: string;
}

export interface ReasoningStep {
  iteration: number;
  /** What the model said this turn (text outside and inside code). */
  modelText: string;
  /** Code blocks executed this turn, in order. */
  code: string[];
  /** Combined (truncated) REPL output the model was shown. */
  output: string;
  searches: SearchRecord[];
  subLLMCalls: SubLLMCall[];
  timeMs: number;
  usage: TokenUsage;
  /** Set when this step produced the final answer. */
  final?: boolean;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /**
   * Tokens of `inputTokens` the provider read from its prompt cache (a part of the input, not
   * in addition to it), from the AI SDK's `inputTokenDetails.cacheReadTokens`. Summed over the
   * calls that reported it; absent when no call did (unknown, not 0), and for estimated usage.
   */
  cachedInputTokens?: number;
  /**
   * Tokens of `outputTokens` the model spent reasoning (a part of the output, not in addition
   * to it), from the AI SDK's `outputTokenDetails.reasoningTokens`. Summed over the calls that
   * reported it; absent when no call did (unknown, not 0), and for estimated usage.
   */
  reasoningTokens?: number;
}

export interface ModelUsage extends TokenUsage {
  calls: number;
  costUsd?: number;
}

export interface UsageSummary extends TokenUsage {
  calls: number;
  costUsd?: number;
  byModel: Record<string, ModelUsage>;
}

export interface DeepRecallResult {
  answer: string;
  sources: SearchResult[];
  reasoningTrace: ReasoningStep[];
  usage: UsageSummary;
  executionTimeMs: number;
  query: string;
  budgetStatus: BudgetStatus;
  error?: string;
  confidence: number | null;
  /**
   * Set when this result was served from the answer cache (engine option `cacheAnswers`): the
   * answer, sources, steps and budget status are those of the run that produced it, and `usage`
   * is 0 because nothing was spent. Absent on a fresh run.
   */
  cached?: true;
  /**
   * True when the model's output was cut at the output-token cap (`maxOutputTokens`) while it
   * wrote the answer, so the answer is incomplete (`finishReasonOf` then says "length"). Absent
   * otherwise.
   */
  truncated?: true;
}

/** Price in USD per million tokens, per model id. */
export type PricingTable = Record<string, { inputPerMillion: number; outputPerMillion: number }>;

export interface QueryOptions {
  topK?: number;
  budget?: QueryBudget;
  filters?: MetadataFilter;
  /** Extra context shown to the model (and available as `context` in the sandbox). */
  contextPrefix?: string;
  /** Replaces the default first user message template. `{query}` is substituted. */
  rootPrompt?: string;
  /** Extra system instructions (e.g. an OpenAI system message). */
  instructions?: string;
  /** Earlier conversation turns, oldest first. */
  history?: ModelMessage[];
  temperature?: number;
  /** Nucleus sampling (0–1) of the root model's turns for this query, passed to the provider. */
  topP?: number;
  /** Sampling seed of the root model's turns, for providers that support reproducible sampling. */
  seed?: number;
  /**
   * The reasoning strategy for this query: "repl" (the model writes code in the sandbox) or
   * "tools" (the model calls search tools). Default: the engine's `strategy` ("repl").
   */
  strategy?: "repl" | "tools";
  /** Output-token cap of the root model's turns for this query (overrides the engine's `maxOutputTokens`). */
  maxOutputTokens?: number;
  /**
   * Grounding floor for this query: search the store for the question before the first model
   * turn and show the hits in the first message. Default: the engine's `grounding` (true).
   */
  grounding?: boolean;
  /**
   * Skip the answer cache for this call (engine option `cacheAnswers`): the query runs fresh and
   * its answer is not stored. Search results may still come from the search cache.
   */
  noCache?: boolean;
  signal?: AbortSignal;
}

/** Live events from `engine.stream()`, in the order they happen. */
export type EngineEvent =
  | { type: "query-start"; query: string; runId: string }
  | { type: "iteration-start"; iteration: number }
  | { type: "model-text"; iteration: number; text: string }
  | { type: "code"; iteration: number; index: number; code: string }
  | { type: "code-output"; iteration: number; index: number; output: string; error?: string }
  | { type: "search"; iteration: number; search: SearchRecord }
  | { type: "sub-llm"; iteration: number; call: SubLLMCall }
  | { type: "budget-warning"; status: BudgetStatus; message: string }
  /** `budget`: the run's budget status once the step is done (what a live budget meter shows). */
  | { type: "iteration-complete"; step: ReasoningStep; budget?: BudgetStatus }
  | { type: "answer-delta"; text: string }
  | { type: "result"; result: DeepRecallResult };

export type { EmbeddingModel, LanguageModel, ModelMessage };

/**
 * One structured-output call (`DeepRecallEngine.structure`): the root model rewrites an answer
 * the engine already produced into JSON, shaped by a JSON Schema. The HTTP server uses it for
 * OpenAI's `response_format` and forced `tool_choice`.
 */
export interface StructureRequest {
  /** The question the answer answers. */
  question: string;
  /** The answer to reshape; the call adds no facts of its own. */
  answer: string;
  /** A JSON Schema for the value, or null for "any JSON object" (OpenAI's `json_object`). */
  schema: Record<string, unknown> | null;
  /** Name and description of the schema (e.g. the function's), passed to the provider as guidance. */
  name?: string;
  description?: string;
  /** Extra instructions (the request's system messages). */
  instructions?: string;
  /** Checks the value; returns an error message, or null when it is valid. A failed check is retried once. */
  validate?: (value: unknown) => string | null;
  /**
   * The schema is guidance, not a contract (OpenAI's non-strict `json_schema`): when the retry
   * fails the check too, the last JSON object the model wrote is returned instead of an error.
   * Default false.
   */
  lenient?: boolean;
  temperature?: number;
  topP?: number;
  seed?: number;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

export interface StructureResult {
  /** The validated value. */
  value: unknown;
  /** What this call spent. */
  usage: UsageSummary;
}

/** Engines that can shape an answer into JSON (`DeepRecallEngine` can). */
export interface StructuredOutputApi {
  structure(request: StructureRequest): Promise<StructureResult>;
}

/**
 * One direct call of the root model (`DeepRecallEngine.complete`): no retrieval, no sandbox,
 * the model's own answer to the messages. Chat UIs' housekeeping requests (titles, tags,
 * follow-up suggestions) go this way through the server's task model.
 */
export interface CompleteRequest {
  /** The conversation, oldest first (system messages may be given here or as `instructions`). */
  messages: ModelMessage[];
  /** System instructions. */
  instructions?: string;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Output-token cap of this call. */
  maxOutputTokens?: number;
  /** Stop sequences sent to the backend. */
  stopSequences?: string[];
  /**
   * Ask the backend for JSON: a JSON Schema (with an optional name and description), or
   * `schema: null` for any JSON object. The text is the backend's own JSON, not validated here.
   */
  responseFormat?: { schema: Record<string, unknown> | null; name?: string; description?: string };
  /** Called with each piece of text as the backend streams it. */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

export interface CompleteResult {
  text: string;
  /** What this call spent (estimated when the backend reports none). */
  usage: UsageSummary;
  /** "length" when the backend stopped at the output-token cap, else "stop". */
  finishReason: "stop" | "length";
}

/** Engines that can pass a request straight to their model (`DeepRecallEngine` can). */
export interface DirectCompletionApi {
  complete(request: CompleteRequest): Promise<CompleteResult>;
}
