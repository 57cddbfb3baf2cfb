/** POST /v1/chat/completions. */
import type { DirectCompletionApi, ModelMessage } from "@deeprecall/core";
import { createRoute } from "@hono/zod-openapi";
import { citationAnnotations } from "../citations.ts";
import { targetOfModel } from "../collections.ts";
import { extensionJson, openaiId, usageJson } from "../convert.ts";
import { ApiError, toApiError } from "../errors.ts";
import { jsonResponse } from "../headers.ts";
import {
  extensionOptions,
  type FunctionTool,
  jsonShape,
  type Sampling,
  sampling,
  stopList,
  toolShape,
  unsupported,
} from "../params.ts";
import {
  checkTurn,
  type Outcome,
  randomId,
  runTurn,
  type Shape,
  streamTurn,
  type Turn,
  tokens,
} from "../pipeline.ts";
import { type ChatCompletionRequest, ChatCompletionRequestSchema, ChatCompletionSchema } from "../schemas.ts";
import { type SseWriter, sseResponse } from "../sse.ts";
import {
  isHousekeeping,
  mightBeTask,
  runTask,
  type TaskCall,
  type TaskMessage,
  type TaskOutcome,
  taskMessages,
} from "../task.ts";
import { TRACE_EVENT, traceEventJson } from "../trace.ts";
import {
  type App,
  COMMON,
  type Engine,
  errors,
  jsonBody,
  jsonOrStream,
  noteStreamFailure,
  type RequestLog,
  type RouteContext,
  streamEventSchema,
} from "./shared.ts";

type Message = ChatCompletionRequest["messages"][number];

/** Joins text parts (and refusal parts); any other part type is a 400 naming the exact param. */
export function textOf(message: Message, index: number): string {
  const content = message.content;
  if (content === null || content === undefined)
    return message.role === "assistant" ? (message.refusal ?? "") : "";
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (part.type === "text") {
        if (typeof part.text !== "string") {
          throw new ApiError(400, "A text content part needs a string `text`.", {
            param: `messages[${index}].content[${j}].text`,
            code: "invalid_value",
          });
        }
        return part.text;
      }
      if (part.type === "refusal" && message.role === "assistant") {
        if (typeof part.refusal !== "string") {
          throw new ApiError(400, "A refusal content part needs a string `refusal`.", {
            param: `messages[${index}].content[${j}].refusal`,
            code: "invalid_value",
          });
        }
        return part.refusal;
      }
      throw new ApiError(
        400,
        `Unsupported content part type "${String(part.type).slice(0, 40)}": only text parts (and refusal parts in assistant messages) are supported.`,
        { param: `messages[${index}].content[${j}]`, code: "unsupported_content" },
      );
    })
    .join("\n");
}

/**
 * Turns an OpenAI chat request into a turn: system (and developer) messages become
 * `instructions`, turns before the last user message become `history`, the last user message
 * is the query; `response_format` and a forced `tool_choice` become the shape.
 */
export function chatTurn(body: ChatCompletionRequest): Turn {
  checkChatParams(body);
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
    let text = texts[i]!;
    if (message.role === "system" || message.role === "developer") {
      if (text.trim()) instructions.push(text);
      return;
    }
    if (i >= last) return;
    if (message.role === "assistant" && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      // Tool calls another agent made: shown as what they were, since no tool ids are replayed.
      text = `${text}${text ? "\n" : ""}[tool calls] ${JSON.stringify(message.tool_calls).slice(0, 4000)}`;
    }
    if (text.trim() === "") return;
    if (message.role === "user") history.push({ role: "user", content: text });
    else if (message.role === "assistant") history.push({ role: "assistant", content: text });
    // Tool/function results from another agent's tool calls are passed on as context the user supplied.
    else history.push({ role: "user", content: `[${message.role} output]\n${text}` });
  });

  const options = extensionOptions(body.deeprecall);
  if (instructions.length) options.instructions = instructions.join("\n\n");
  if (history.length) options.history = history;
  return {
    query,
    options,
    stop: stopList(body.stop),
    shape: chatShape(body),
    sampling: chatSampling(body),
    ...(body.deeprecall?.trace === true ? { trace: true } : {}),
  };
}

/** `temperature`, `top_p`, `seed` and the output cap (`max_completion_tokens`, else `max_tokens`). */
export function chatSampling(body: ChatCompletionRequest): Sampling {
  const s = sampling(body);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === "number") s.maxOutputTokens = maxTokens;
  return s;
}

/** The 400s for what no answer of ours can honour (n > 1, logprobs, forced function_call, audio). */
export function checkChatParams(body: ChatCompletionRequest): void {
  if (typeof body.n === "number" && body.n > 1) {
    throw unsupported("n", "n > 1 is not supported: DeepRecall returns one answer per request.");
  }
  if (body.logprobs === true) {
    throw unsupported(
      "logprobs",
      "logprobs are not supported: DeepRecall's answer is not one model's token stream.",
    );
  }
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) {
    throw unsupported("top_logprobs", "top_logprobs is not supported: logprobs are not available.");
  }
  if (typeof body.function_call === "object" && body.function_call !== null) {
    throw unsupported(
      "function_call",
      "Forcing a function with the deprecated function_call is not supported: use tools and tool_choice.",
    );
  }
  if (body.modalities?.some((m) => m !== "text")) {
    throw unsupported("modalities", "Only text output is supported.");
  }
}

/** What the answer must become: a forced tool call, JSON (`response_format`), or null for text. */
export function chatShape(body: ChatCompletionRequest): Shape | null {
  const functions: FunctionTool[] = [];
  const other: string[] = [];
  (body.tools ?? []).forEach((tool, i) => {
    if (tool.type === "function" && tool.function) functions.push(tool.function);
    else if (tool.type === "function") {
      throw new ApiError(400, "A function tool needs its `function` definition.", {
        param: `tools[${i}].function`,
        code: "invalid_value",
      });
    } else other.push(tool.type);
  });
  const tool = toolShape(
    functions,
    other,
    body.tool_choice,
    { tools: "tools", toolChoice: "tool_choice" },
    (choice) => (choice.function as { name?: unknown } | undefined)?.name,
  );
  const rf = body.response_format;
  if (rf?.type === "json_schema" && !rf.json_schema) {
    throw new ApiError(400, "Missing required parameter: 'response_format.json_schema'.", {
      param: "response_format.json_schema",
      code: "invalid_value",
    });
  }
  return (
    tool ??
    jsonShape(
      rf ? { type: rf.type, ...(rf.json_schema ?? {}) } : undefined,
      rf?.type === "json_schema" ? "response_format.json_schema" : "response_format",
    )
  );
}

/** Where citation links point: this server's documents, in the answer's collection. */
interface Links {
  baseUrl: string;
  collection: string | undefined;
  /** Link to the web console's document view (the server serves the console). */
  inConsole: boolean;
}

/**
 * The citations of an answer. A shaped answer (JSON) is not prose: its brackets are JSON arrays,
 * not citations, so its sources come without positions.
 */
function annotationsOf(outcome: Outcome, shaped: boolean, links: Links) {
  return citationAnnotations(
    shaped ? "" : (outcome.text ?? ""),
    outcome.result,
    links.baseUrl,
    links.collection,
    links.inConsole,
  ).map((a) => (shaped ? { ...a, url_citation: { ...a.url_citation, start_index: 0, end_index: 0 } } : a));
}

function chatJson(
  outcome: Outcome,
  model: string,
  id: string,
  created: number,
  links: Links,
  shaped: boolean,
) {
  const message = outcome.toolCall
    ? {
        role: "assistant" as const,
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: outcome.toolCall.id,
            type: "function" as const,
            function: { name: outcome.toolCall.name, arguments: outcome.toolCall.arguments },
          },
        ],
        annotations: [],
      }
    : {
        role: "assistant" as const,
        content: outcome.text ?? "",
        refusal: null,
        annotations: annotationsOf(outcome, shaped, links),
      };
  return {
    id,
    object: "chat.completion" as const,
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: outcome.finishReason }],
    usage: usageJson(outcome.usage),
    deeprecall: extensionJson(outcome.result),
  };
}

/** Where the citation links point: the configured public URL, else this request's origin. */
function baseUrlOf(ctx: RouteContext, url: string): string {
  if (ctx.publicUrl) return ctx.publicUrl;
  const end = url.indexOf("/", url.indexOf("//") + 2);
  return end === -1 ? url : url.slice(0, end);
}

/** False when the built-in detector would surely say no (cheap: the last message's text only). */
function mightBeHousekeeping(body: ChatCompletionRequest): boolean {
  const last = body.messages[body.messages.length - 1]!;
  const content = last.content;
  if (typeof content !== "string") return true;
  return mightBeTask(content);
}

/** The request's messages as role + text, for the task detector and the task model. */
function taskMessagesOf(body: ChatCompletionRequest): TaskMessage[] {
  return body.messages.map((m, i) => ({ role: m.role, content: textOf(m, i) }));
}

export function registerChat(app: App, ctx: RouteContext): void {
  const route = createRoute({
    method: "post",
    path: "/v1/chat/completions",
    tags: ["OpenAI"],
    summary: "Chat completion (regular or streaming)",
    description:
      'Answers the last user message with DeepRecall. With `"stream": true` the answer is sent as ' +
      "Server-Sent Events in OpenAI's chunk format, with progress as `delta.reasoning_content`. " +
      "`response_format` (json_object, json_schema) and a forced `tool_choice` are honoured by one " +
      "structured-output call after the engine answered. The sources the answer draws on come as " +
      "`url_citation` annotations (`message.annotations`; when streaming, `delta.annotations` once " +
      "the answer is complete). The task model (`<model>-task`, e.g. `deeprecall-task`) and chat UIs' " +
      "housekeeping requests (Open WebUI `### Task:` prompts, LibreChat title requests) are passed " +
      "straight to the backend model: one call, no retrieval.",
    request: { body: jsonBody(ChatCompletionRequestSchema) },
    responses: {
      200: jsonOrStream(
        ChatCompletionSchema,
        streamEventSchema(
          "ChatCompletionStreamEvent",
          "A JSON chat.completion.chunk, an OpenAI-shaped error object, or the literal [DONE] (always last).",
        ),
        "The completion (JSON), or an SSE stream of chunks",
      ),
      ...errors(400, 404, 413, 502, 503, ...COMMON),
    },
  });
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const task = ctx.task;
    const explicitTask = task !== undefined && body.model === task.name;
    // The engine is resolved first (a 404 for an unknown model), except for the task model.
    const target = explicitTask ? undefined : await targetOfModel(ctx, body.model);
    const id = openaiId("chatcmpl-");
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? ctx.modelName;
    const stream = {
      id,
      created,
      model,
      includeUsage: body.stream_options?.include_usage === true,
      signal: c.req.raw.signal,
      record: c.get("requestLog"),
    };
    if (task) {
      const explicit = explicitTask;
      // The built-in detector only reads the last message: most chats are told apart without
      // converting the others.
      const maybe =
        explicit ||
        (task.detect !== undefined && (task.detect !== isHousekeeping || mightBeHousekeeping(body)));
      const messages = maybe ? taskMessagesOf(body) : undefined;
      if (explicit || (maybe && task.detect?.(messages!))) {
        checkChatParams(body);
        const call: TaskCall = {
          instructions: undefined,
          ...taskMessages(messages!),
          sampling: chatSampling(body),
          stop: stopList(body.stop),
          shape: chatShape(body),
        };
        const record = c.get("requestLog");
        if (record) record.route = "task";
        if (body.stream) {
          const response = streamTask(ctx, task.engine, call, stream);
          return c.newResponse(response.body, response) as never;
        }
        const outcome = await runTask(task.engine, call, c.req.raw.signal);
        return jsonResponse(c, JSON.stringify(taskJson(outcome, model, id, created))) as never;
      }
    }
    const { engine, collection } = target!;
    const turn = chatTurn(body);
    checkTurn(engine, turn, turn.shape?.kind === "tool" ? "tool_choice" : "response_format");
    const links: Links = { baseUrl: baseUrlOf(ctx, c.req.url), collection, inConsole: ctx.console };
    if (body.stream) {
      const response = streamChat(ctx, engine, turn, { ...stream, links });
      // Through the context, so headers set by middleware (request id, rate-limit) are kept.
      return c.newResponse(response.body, response) as never;
    }
    const outcome = await runTurn(engine, turn, c.req.raw.signal);
    return jsonResponse(
      c,
      JSON.stringify(chatJson(outcome, model, id, created, links, turn.shape !== null)),
    ) as never;
  });
}

interface StreamMeta {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
  signal: AbortSignal;
  record: RequestLog | undefined;
}

function chunker(o: StreamMeta) {
  const base = { id: o.id, object: "chat.completion.chunk", created: o.created, model: o.model };
  const usageNull = o.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: object = {}) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...usageNull,
    ...extra,
  });
  return { base, chunk };
}

/** A stream that failed after its headers went out: the error event, and the request log's outcome. */
function streamFailed(out: SseWriter, record: RequestLog | undefined, error: unknown): void {
  const apiError = toApiError(error);
  noteStreamFailure(record, error, apiError.status);
  out.send(apiError.toBody());
  out.raw("data: [DONE]\n\n");
}

function taskJson(outcome: TaskOutcome, model: string, id: string, created: number) {
  const message = outcome.toolCall
    ? {
        role: "assistant" as const,
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: randomId("call_"),
            type: "function" as const,
            function: { name: outcome.toolCall.name, arguments: outcome.text },
          },
        ],
        annotations: [],
      }
    : { role: "assistant" as const, content: outcome.text, refusal: null, annotations: [] };
  return {
    id,
    object: "chat.completion" as const,
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: outcome.finishReason }],
    usage: usageJson(tokens(outcome.usage)),
  };
}

function streamTask(ctx: RouteContext, engine: DirectCompletionApi, call: TaskCall, o: StreamMeta): Response {
  const { base, chunk } = chunker(o);
  return sseResponse({
    signal: o.signal,
    keepAliveMs: ctx.keepAliveMs,
    start: (out) => out.send(chunk({ role: "assistant", content: "" })),
    run: async (out) => {
      try {
        const outcome = await runTask(engine, call, out.signal, (text) => out.send(chunk({ content: text })));
        if (out.signal.aborted) return;
        if (outcome.toolCall) {
          out.send(
            chunk({
              tool_calls: [
                {
                  index: 0,
                  id: randomId("call_"),
                  type: "function",
                  function: { name: outcome.toolCall.name, arguments: outcome.text },
                },
              ],
            }),
          );
        }
        out.send(chunk({}, outcome.finishReason));
        if (o.includeUsage) out.send({ ...base, choices: [], usage: usageJson(tokens(outcome.usage)) });
        out.raw("data: [DONE]\n\n");
      } catch (error) {
        if (out.signal.aborted) return; // the client left; the request log says so
        streamFailed(out, o.record, error);
      }
    },
  });
}

function streamChat(
  ctx: RouteContext,
  engine: Engine,
  turn: Turn,
  o: StreamMeta & { links: Links },
): Response {
  const { base, chunk } = chunker(o);
  const started = performance.now();
  return sseResponse({
    signal: o.signal,
    keepAliveMs: ctx.keepAliveMs,
    start: (out) => out.send(chunk({ role: "assistant", content: "" })),
    run: async (out) => {
      try {
        for await (const event of streamTurn(engine, turn, out.signal, ctx.reasoningStream)) {
          if (event.type === "reasoning") out.send(chunk({ reasoning_content: event.text }));
          else if (event.type === "text") out.send(chunk({ content: event.text }));
          else if (event.type === "trace") {
            const trace = traceEventJson(event.event, performance.now() - started);
            if (trace) out.send(trace, TRACE_EVENT);
          } else {
            const outcome = event.outcome;
            const call = outcome.toolCall;
            if (call) {
              out.send(
                chunk({
                  tool_calls: [
                    { index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
                  ],
                }),
              );
              out.send(chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments } }] }));
            } else {
              // The citations, once the answer is complete (Open WebUI reads delta.annotations).
              const annotations = annotationsOf(outcome, turn.shape !== null, o.links);
              if (annotations.length > 0) out.send(chunk({ annotations }));
            }
            const extension = { deeprecall: extensionJson(outcome.result) };
            if (o.includeUsage) {
              out.send(chunk({}, outcome.finishReason));
              out.send({ ...base, choices: [], usage: usageJson(outcome.usage), ...extension });
            } else {
              out.send(chunk({}, outcome.finishReason, extension));
            }
          }
        }
        if (out.signal.aborted) return;
        out.raw("data: [DONE]\n\n");
      } catch (error) {
        if (out.signal.aborted) return; // the client left; the request log says so
        streamFailed(out, o.record, error);
      }
    },
  });
}
