import {
  type DeepRecallEngineApi,
  type QueryBudget,
  type QueryOptions,
  type SearchOptions,
  type SearchResult,
  truncate,
  validateFilter,
} from "@deeprecall/core";
import { type Tool, tool } from "ai";
import { z } from "zod";

const filtersSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'Optional metadata filter (Chroma operators): {"field": value}, {"field": {"$gte": 2020}}, {"$and": [...]}, {"$or": [...]}; also $eq $ne $gt $lt $lte $in $nin.',
  );

/** What the search tool needs: anything with `search()`, e.g. a VectorStore or a DeepRecallEngine. */
export type Searchable = { search(query: string, options?: SearchOptions): Promise<SearchResult[]> };

export interface SearchToolOptions {
  /** Tool description shown to the calling model. */
  description?: string;
  /** Hits when the model does not ask for a number. Default 5. */
  defaultTopK?: number;
  /** Largest `top_k` the model may ask for. Default 50. */
  maxTopK?: number;
  /** Truncate each hit's content to this many characters (with an ellipsis). Default: no limit. */
  maxContentChars?: number;
}

export interface SearchToolInput {
  query: string;
  top_k?: number | undefined;
  filters?: Record<string, unknown> | undefined;
}

export interface AskToolInput {
  question: string;
  top_k?: number | undefined;
  filters?: Record<string, unknown> | undefined;
}

export interface SearchToolOutput {
  results: Array<{ id: string; content: string; metadata: Record<string, unknown>; score: number }>;
}

/** A hit as tool output, its content cut to `maxChars` (with an ellipsis) when given. */
function hitJson(hit: SearchResult, maxChars: number | undefined): SearchToolOutput["results"][number] {
  const content = maxChars === undefined ? hit.content : truncate(hit.content, maxChars, () => "…");
  return { id: hit.id, content, metadata: hit.metadata ?? {}, score: hit.score };
}

/**
 * An AI SDK tool that searches a DeepRecall vector store (no LLM involved) and returns the
 * hits with their ids, content, metadata and scores.
 */
export function searchTool(
  store: Searchable,
  options: SearchToolOptions = {},
): Tool<SearchToolInput, SearchToolOutput> {
  if (!store || typeof store.search !== "function") {
    throw new TypeError("searchTool(store): expected a VectorStore or engine with a search() method.");
  }
  const maxTopK = options.maxTopK ?? 50;
  const defaultTopK = Math.min(options.defaultTopK ?? 5, maxTopK);
  return tool({
    description:
      options.description ??
      "Search the document store for passages relevant to a query. Returns the best-matching passages with ids, metadata and relevance scores (0-1, higher is better).",
    inputSchema: z.object({
      query: z.string().min(1).describe("What to search for, in natural language or keywords."),
      top_k: z
        .int()
        .min(1)
        .max(maxTopK)
        .optional()
        .describe(`How many passages to return (default ${defaultTopK}).`),
      filters: filtersSchema.optional(),
    }),
    execute: async ({ query, top_k, filters }, { abortSignal }): Promise<SearchToolOutput> => {
      if (filters !== undefined) validateFilter(filters, "filters");
      const hits = await store.search(query, {
        topK: top_k ?? defaultTopK,
        ...(filters ? { filters } : {}),
        ...(abortSignal ? { signal: abortSignal } : {}),
      });
      return {
        results: hits.map((h) => hitJson(h, options.maxContentChars)),
      };
    },
  });
}

export interface AskToolOptions {
  /** Tool description shown to the calling model. */
  description?: string;
  /** Budget for each question the tool answers. */
  budget?: QueryBudget;
  /** At most this many sources in the tool output (best first). Default 10. */
  maxSources?: number;
  /** Truncate each source's content to this many characters. Default 1000. */
  maxContentChars?: number;
}

export interface AskToolOutput {
  answer: string;
  sources: Array<{ id: string; content: string; metadata: Record<string, unknown>; score: number }>;
  confidence: number | null;
  /** Set when the run stopped early (e.g. a budget limit) and the answer is partial. */
  error?: string;
}

/**
 * An AI SDK tool that hands a question to the full DeepRecall engine (recursive search,
 * sandboxed analysis, sub-model calls) and returns its answer with sources.
 */
export function askTool(
  engine: DeepRecallEngineApi,
  options: AskToolOptions = {},
): Tool<AskToolInput, AskToolOutput> {
  if (!engine || typeof engine.query !== "function") {
    throw new TypeError("askTool(engine): expected a DeepRecallEngine (an object with query()).");
  }
  const maxSources = options.maxSources ?? 10;
  const maxContentChars = options.maxContentChars ?? 1000;
  return tool({
    description:
      options.description ??
      "Ask a research question about the document collection. A retrieval agent searches the documents (several times if needed), analyses what it finds and returns an answer with its sources. Slower than a plain search; use for questions that need reading several passages.",
    inputSchema: z.object({
      question: z.string().min(1).describe("The question to answer from the documents."),
      top_k: z.int().min(1).max(1000).optional().describe("Passages per search (optional)."),
      filters: filtersSchema.optional(),
    }),
    execute: async ({ question, top_k, filters }, { abortSignal }): Promise<AskToolOutput> => {
      if (filters !== undefined) validateFilter(filters, "filters");
      const queryOptions: QueryOptions = {
        ...(top_k !== undefined ? { topK: top_k } : {}),
        ...(filters ? { filters } : {}),
        ...(options.budget ? { budget: options.budget } : {}),
        ...(abortSignal ? { signal: abortSignal } : {}),
      };
      const result = await engine.query(question, queryOptions);
      return {
        answer: result.answer,
        sources: result.sources.slice(0, maxSources).map((s) => hitJson(s, maxContentChars)),
        confidence: result.confidence,
        ...(result.error ? { error: result.error } : {}),
      };
    },
  });
}
