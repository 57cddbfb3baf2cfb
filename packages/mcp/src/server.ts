import { createRequire } from "node:module";
import {
  type DeepRecallEngineApi,
  DeepRecallError,
  type DeepRecallResult,
  describeEngineEvent,
  type EngineEvent,
  type QueryBudget,
  type QueryOptions,
  redactSecrets,
  type SearchResult,
  tighterBudget,
  truncate,
  validateFilter,
} from "@deeprecall/core";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

export type McpToolName = "search" | "ask";

export interface McpServerOptions {
  /** Server name reported to clients. Default "deeprecall". */
  name?: string;
  /** Server version reported to clients. Default: this package's version. */
  version?: string;
  /** Which tools to expose. Default both: ["search", "ask"]. */
  tools?: McpToolName[];
  /** Hits for `search` when the client does not ask for a number. Default 5. */
  defaultTopK?: number;
  /** Largest `top_k` a client may ask for. Default 50. */
  maxTopK?: number;
  /**
   * Budget applied to every `ask`, on top of the engine's own `budget` (the tighter limit wins);
   * a client's `max_search_calls` / `max_time_seconds` can only tighten them.
   */
  budget?: QueryBudget;
  /** Truncate each source's content in `ask` results to this many characters. Default 2000. */
  maxSourceChars?: number;
}

const filtersShape = z
  .record(z.string(), z.unknown())
  .describe(
    'Metadata filter using Chroma operators, e.g. {"source": "a.txt"}, {"year": {"$gte": 2020}}, {"$and": [...]}, {"$or": [...]}; also $eq $ne $gt $lt $lte $in $nin.',
  );

const sourceSchema = z.object({
  id: z.string(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  score: z.number(),
});

const searchOutput = { results: z.array(sourceSchema) };
const askOutput = {
  answer: z.string(),
  sources: z.array(sourceSchema),
  confidence: z.number().nullable(),
  error: z.string().nullable(),
  usage: z.object({
    inputTokens: z.number(),
    outputTokens: z.number(),
    totalTokens: z.number(),
    calls: z.number(),
  }),
  executionTimeMs: z.number(),
};

/** A hit as tool output, its content cut to `maxChars` (with an ellipsis) when given. */
function sourceJson(s: SearchResult, maxChars?: number) {
  const content = maxChars === undefined ? s.content : truncate(s.content, maxChars, () => "…");
  return { id: s.id, content, metadata: s.metadata ?? {}, score: s.score };
}

/** A tool result with both structured content and its JSON text (for clients that only read text). */
function ok(structured: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(structured, null, 2) }],
    structuredContent: structured,
  };
}

/** A tool-level error the calling model can read; never a stack trace or a secret. */
function fail(error: unknown): CallToolResult {
  const message =
    DeepRecallError.isInstance(error) || error instanceof z.ZodError
      ? error.message
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return { content: [{ type: "text", text: redactSecrets(message) }], isError: true };
}

/**
 * An MCP server (official TypeScript SDK) exposing DeepRecall as two tools:
 * `search` (plain store search, no LLM) and `ask` (the full recursive engine, with sources).
 * Connect it to any transport: `runStdio()` and `mcpHttpHandler()` do that for you.
 */
export function createMcpServer(engine: DeepRecallEngineApi, options: McpServerOptions = {}): McpServer {
  if (!engine || typeof engine.search !== "function" || typeof engine.stream !== "function") {
    throw new TypeError("createMcpServer(engine): expected a DeepRecallEngine (with search() and stream()).");
  }
  const tools = new Set(options.tools ?? ["search", "ask"]);
  const maxTopK = options.maxTopK ?? 50;
  const defaultTopK = Math.min(options.defaultTopK ?? 5, maxTopK);
  const maxSourceChars = options.maxSourceChars ?? 2000;
  const server = new McpServer(
    { name: options.name ?? "deeprecall", version: options.version ?? VERSION },
    {
      instructions:
        "DeepRecall answers questions over a document collection. Use `search` for raw passages (fast, no LLM) and `ask` for a researched answer with sources (slower: an agent searches and reads several times).",
    },
  );

  if (tools.has("search")) {
    server.registerTool(
      "search",
      {
        title: "Search documents",
        description: `Search the document store and return the best-matching passages with ids, metadata and relevance scores (0-1, higher is better). No LLM involved. Store: ${engine.vectorStore?.name ?? "unknown"}.`,
        inputSchema: {
          query: z.string().min(1).describe("What to search for."),
          top_k: z
            .int()
            .min(1)
            .max(maxTopK)
            .optional()
            .describe(`How many passages to return (default ${defaultTopK}).`),
          filters: filtersShape.optional(),
        },
        outputSchema: searchOutput,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async ({ query, top_k, filters }, extra) => {
        try {
          if (filters !== undefined) validateFilter(filters, "filters");
          const hits = await engine.search(query, {
            topK: top_k ?? defaultTopK,
            ...(filters ? { filters } : {}),
            signal: extra.signal,
          });
          return ok({ results: hits.map((h) => sourceJson(h)) });
        } catch (error) {
          return fail(error);
        }
      },
    );
  }

  if (tools.has("ask")) {
    server.registerTool(
      "ask",
      {
        title: "Ask a question about the documents",
        description:
          "Answer a question from the document collection. A retrieval agent searches (several times if needed), analyses the passages in a sandbox and answers with the sources it used. Slower than `search`. Sends progress notifications when the client supplies a progress token.",
        inputSchema: {
          question: z.string().min(1).describe("The question to answer."),
          top_k: z.int().min(1).max(maxTopK).optional().describe("Passages per search (optional)."),
          filters: filtersShape.optional(),
          max_search_calls: z.int().min(0).optional().describe("Limit on searches for this question."),
          max_time_seconds: z.number().positive().optional().describe("Time limit for this question."),
        },
        outputSchema: askOutput,
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      async ({ question, top_k, filters, max_search_calls, max_time_seconds }, extra) => {
        try {
          if (filters !== undefined) validateFilter(filters, "filters");
          const clientBudget: QueryBudget = {
            ...(max_search_calls !== undefined ? { maxSearchCalls: max_search_calls } : {}),
            ...(max_time_seconds !== undefined ? { maxTimeSeconds: max_time_seconds } : {}),
          };
          // The engine's budget and this server's are ceilings: a client can only tighten them
          // (the engine would let a query's budget raise its own limits).
          const budget = tighterBudget(
            tighterBudget(engine.budget, options.budget),
            Object.keys(clientBudget).length ? clientBudget : undefined,
          );
          const queryOptions: QueryOptions = {
            ...(top_k !== undefined ? { topK: top_k } : {}),
            ...(filters ? { filters } : {}),
            ...(budget ? { budget } : {}),
            signal: extra.signal,
          };
          const progressToken = extra._meta?.progressToken;
          let progress = 0;
          let result: DeepRecallResult | undefined;
          for await (const event of engine.stream(question, queryOptions) as AsyncIterable<EngineEvent>) {
            if (event.type === "result") {
              result = event.result;
              continue;
            }
            if (progressToken === undefined) continue;
            const line = describeEngineEvent(event);
            if (!line) continue;
            progress += 1;
            await extra
              .sendNotification({
                method: "notifications/progress",
                params: { progressToken, progress, message: line.trimEnd() },
              })
              .catch(() => {});
          }
          if (!result) throw new Error("the engine stream ended without a result");
          return ok({
            answer: result.answer,
            sources: result.sources.map((s) => sourceJson(s, maxSourceChars)),
            confidence: result.confidence,
            error: result.error ?? null,
            usage: {
              inputTokens: result.usage.inputTokens,
              outputTokens: result.usage.outputTokens,
              totalTokens: result.usage.totalTokens,
              calls: result.usage.calls,
            },
            executionTimeMs: result.executionTimeMs,
          });
        } catch (error) {
          return fail(error);
        }
      },
    );
  }
  return server;
}
