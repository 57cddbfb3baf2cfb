import type {
  BudgetStatus,
  DeepRecallResult,
  MetadataFilter,
  ModelMessage,
  QueryBudget,
  QueryOptions,
  ReasoningStep,
  SearchResult,
} from "@deeprecall/core";
import { finishReasonOf, validateFilter } from "@deeprecall/core";
import { ApiError } from "./errors.ts";
import type { ChatCompletionRequest } from "./schemas.ts";

type Message = ChatCompletionRequest["messages"][number];

/** Joins text parts; any other part type is a 400 naming the exact param. */
function textOf(message: Message, index: number): string {
  const content = message.content;
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (part.type === "text" && typeof part.text !== "string") {
        throw new ApiError(400, "A text content part needs a string `text`.", {
          param: `messages[${index}].content[${j}].text`,
          code: "invalid_value",
        });
      }
      if (part.type !== "text" || typeof part.text !== "string") {
        throw new ApiError(
          400,
          `Unsupported content part type "${String(part.type).slice(0, 40)}": only text parts are supported.`,
          { param: `messages[${index}].content[${j}]`, code: "unsupported_content" },
        );
      }
      return part.text;
    })
    .join("\n");
}

export interface ChatQuery {
  query: string;
  options: QueryOptions;
}

/**
 * Turns an OpenAI chat request into an engine call: system (and developer) messages become
 * `instructions`, turns before the last user message become `history`, the last user
 * message is the query.
 */
export function toChatQuery(body: ChatCompletionRequest): ChatQuery {
  if (typeof body.n === "number" && body.n > 1) {
    throw new ApiError(400, "n > 1 is not supported: DeepRecall returns one answer per request.", {
      param: "n",
      code: "unsupported_value",
    });
  }
  const texts = body.messages.map((m, i) => textOf(m, i));
  let last = -1;
  for (let i = body.messages.length - 1; i >= 0; i--) {
    if (body.messages[i]!.role === "user") {
      last = i;
      break;
    }
  }
  if (last === -1) {
    throw new ApiError(
      400,
      "messages must contain at least one user message: it is the question to answer.",
      {
        param: "messages",
        code: "missing_user_message",
      },
    );
  }
  const query = texts[last]!;
  if (query.trim() === "") {
    throw new ApiError(400, "The last user message is empty.", {
      param: `messages[${last}].content`,
      code: "invalid_value",
    });
  }
  const instructions: string[] = [];
  const history: ModelMessage[] = [];
  body.messages.forEach((message, i) => {
    const text = texts[i]!;
    if (message.role === "system" || message.role === "developer") {
      if (text.trim()) instructions.push(text);
      return;
    }
    if (i >= last || text.trim() === "") return;
    if (message.role === "user") history.push({ role: "user", content: text });
    else if (message.role === "assistant") history.push({ role: "assistant", content: text });
    // Tool/function results from another agent's tool calls carry no tool-call ids we could
    // replay; they are passed on as context the user supplied.
    else history.push({ role: "user", content: `[${message.role} output]\n${text}` });
  });

  const options: QueryOptions = {};
  if (instructions.length) options.instructions = instructions.join("\n\n");
  if (history.length) options.history = history;
  if (typeof body.temperature === "number") options.temperature = body.temperature;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === "number") options.maxOutputTokens = maxTokens;
  const ext = body.deeprecall;
  if (ext) {
    if (ext.top_k !== undefined) options.topK = ext.top_k;
    if (ext.filters !== undefined) options.filters = checkFilters(ext.filters, "deeprecall.filters");
    if (ext.no_cache) options.noCache = true;
    if (ext.budget) options.budget = toBudget(ext.budget);
  }
  return { query, options };
}

export function checkFilters(filters: unknown, param: string): MetadataFilter {
  validateFilter(filters, param);
  return filters;
}

function toBudget(b: NonNullable<NonNullable<ChatCompletionRequest["deeprecall"]>["budget"]>): QueryBudget {
  const budget: QueryBudget = {};
  if (b.max_iterations !== undefined) budget.maxIterations = b.max_iterations;
  if (b.max_search_calls !== undefined) budget.maxSearchCalls = b.max_search_calls;
  if (b.max_tokens !== undefined) budget.maxTokens = b.max_tokens;
  if (b.max_time_seconds !== undefined) budget.maxTimeSeconds = b.max_time_seconds;
  if (b.max_cost_usd !== undefined) budget.maxCostUsd = b.max_cost_usd;
  return budget;
}

const LIMIT_NAMES: Record<string, string> = {
  maxIterations: "max_iterations",
  maxSearchCalls: "max_search_calls",
  maxTokens: "max_tokens",
  maxTimeSeconds: "max_time_seconds",
  maxCostUsd: "max_cost_usd",
};

function snakeLimit(name: string | null): string | null {
  return name === null ? null : (LIMIT_NAMES[name] ?? name);
}

export function budgetStatusJson(status: BudgetStatus | undefined) {
  if (!status) return null;
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(status.limits ?? {})) {
    if (typeof value === "number") limits[snakeLimit(key)!] = value;
  }
  return {
    iterations: status.iterations,
    search_calls: status.searchCalls,
    tokens: status.tokens,
    elapsed_seconds: status.elapsedSeconds,
    cost_usd: status.costUsd ?? null,
    utilization: status.utilization ?? null,
    exceeded: status.exceeded,
    exceeded_limit: snakeLimit(status.exceededLimit ?? null),
    limits,
  };
}

export function sourceJson(source: SearchResult) {
  return { id: source.id, content: source.content, metadata: source.metadata ?? {}, score: source.score };
}

function stepJson(step: ReasoningStep) {
  return {
    iteration: step.iteration,
    model_text: step.modelText ?? "",
    code: step.code ?? [],
    output: step.output ?? "",
    searches: (step.searches ?? []).map((s) => ({
      query: s.query,
      top_k: s.topK,
      hits: s.hits,
      ids: s.ids ?? [],
      time_ms: s.timeMs,
    })),
    sub_llm_calls: step.subLLMCalls?.length ?? 0,
    time_ms: step.timeMs,
    final: step.final === true,
  };
}

/** The `deeprecall` extension object, in snake_case. */
export function extensionJson(result: DeepRecallResult) {
  return {
    sources: (result.sources ?? []).map(sourceJson),
    confidence: result.confidence ?? null,
    budget_status: budgetStatusJson(result.budgetStatus),
    steps: (result.reasoningTrace ?? []).map(stepJson),
    error: result.error ?? null,
    execution_time_ms: result.executionTimeMs,
    cost_usd: result.usage?.costUsd ?? null,
  };
}

export function usageJson(result: DeepRecallResult) {
  const u = result.usage;
  const prompt = u?.inputTokens ?? 0;
  const completion = u?.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u?.totalTokens ?? prompt + completion,
  };
}

/**
 * The OpenAI `finish_reason`: "length" when a budget or limit ended the run instead of the
 * model's own answer (the answer is then best-effort), else "stop".
 */
export function finishReason(result: DeepRecallResult): "stop" | "length" {
  // Engines implementing DeepRecallEngineApi by hand may leave out the budget status.
  return result.budgetStatus ? finishReasonOf(result) : "stop";
}

export function completionId(): string {
  const u = crypto.randomUUID(); // 8-4-4-4-12 hex digits
  return `chatcmpl-${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(14, 18)}${u.slice(19, 23)}${u.slice(24)}`;
}

export function chatCompletionJson(result: DeepRecallResult, model: string, id: string, created: number) {
  return {
    id,
    object: "chat.completion" as const,
    created,
    model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: result.answer, refusal: null },
        logprobs: null,
        finish_reason: finishReason(result),
      },
    ],
    usage: usageJson(result),
    deeprecall: extensionJson(result),
  };
}
