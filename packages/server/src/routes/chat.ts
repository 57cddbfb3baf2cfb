/** POST /v1/chat/completions. */
import type { DeepRecallResult, DirectCompletionApi, ModelMessage } from "@deeprecall/core";
import { answerCitations, type CitationLinks, citationLinks, type UrlCitation } from "../citations.ts";
import { targetOfModel } from "../collections.ts";
import { extensionJson, openaiId, randomId, usageJson } from "../convert.ts";
import { ApiError } from "../errors.ts";
import { followUpContext } from "../follow-up.ts";
import { jsonResponse } from "../headers.ts";
import {
  checkStreamOptions,
  checkStrictTool,
  extensionOptions,
  type FunctionTool,
  jsonShape,
  missing,
  partsText,
  type Sampling,
  sampling,
  stopList,
  toolShape,
  unsupported,
} from "../params.ts";
import { checkTurn, runTurn, type Shape, streamTurn, type ToolCall, type Turn, tokens } from "../pipeline.ts";
import { type ChatCompletionRequest, ChatCompletionRequestSchema, ChatCompletionSchema } from "../schemas.ts";
import type { SseWriter } from "../sse.ts";
import {
  isHousekeeping,
  mightBeTask,
  runTask,
  type TaskCall,
  type TaskMessage,
  type TaskOutcome,
  taskMessages,
} from "../task.ts";
import { checkToolTurns } from "../tool-turns.ts";
import { TRACE_EVENT, traceEventJson } from "../trace.ts";
import { type ChunkMeta, chunker, chunkStream } from "./chunks.ts";
import {
  type App,
  assertModelAvailable,
  type Engine,
  generationRoute,
  jsonRoute,
  type RequestLog,
  type RouteContext,
} from "./shared.ts";

type Message = ChatCompletionRequest["messages"][number];

const TEXT_PARTS: ReadonlySet<string> = new Set(["text"]);

/** A message's text: its string content or its text parts (and refusal parts); a 400 for other parts. */
export function textOf(message: Message, index: number): string {
  const content = message.content;
  if (content === null || content === undefined)
    return message.role === "assistant" ? (message.refusal ?? "") : "";
  if (typeof content === "string") return content;
  return partsText(content, message.role, `messages[${index}].content`, TEXT_PARTS);
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
  // The assistant's tool calls after the question and the results sent back for them.
  const followUp: string[] = [];
  body.messages.forEach((message, i) => {
    let text = texts[i]!;
    if (message.role === "system" || message.role === "developer") {
      if (text.trim()) instructions.push(text);
      return;
    }
    if (i === last) return;
    if (message.role === "assistant" && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      // Tool calls another agent made: shown as what they were, since no tool ids are replayed.
      text = `${text}${text ? "\n" : ""}[tool calls] ${JSON.stringify(message.tool_calls).slice(0, 4000)}`;
    }
    if (text.trim() === "") return;
    if (i > last) {
      const id = (message as { tool_call_id?: unknown }).tool_call_id;
      if (message.role === "assistant") followUp.push(`[assistant]\n${text}`);
      else followUp.push(`[${message.role} output${typeof id === "string" ? ` for ${id}` : ""}]\n${text}`);
      return;
    }
    if (message.role === "user") history.push({ role: "user", content: text });
    else if (message.role === "assistant") history.push({ role: "assistant", content: text });
    // Tool/function results from another agent's tool calls are passed on as context the user supplied.
    else history.push({ role: "user", content: `[${message.role} output]\n${text}` });
  });

  const options = extensionOptions(body.deeprecall);
  if (instructions.length) options.instructions = instructions.join("\n\n");
  if (history.length) options.history = history;
  const context = followUpContext(followUp);
  if (context) options.contextPrefix = context;
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

/** The 400s for what no answer of ours can honour (n > 1, logprobs, forced function_call, audio), and tool turns that do not pair up. */
export function checkChatParams(body: ChatCompletionRequest): void {
  checkToolTurns(body.messages);
  checkStreamOptions(body);
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
    if (tool.type === "function" && tool.function) {
      checkStrictTool(tool.function, `tools[${i}].function.parameters`);
      functions.push(tool.function);
    } else if (tool.type === "function") {
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
  if (rf?.type === "json_schema" && !rf.json_schema) throw missing("response_format.json_schema");
  return (
    tool ??
    jsonShape(
      rf ? { type: rf.type, ...(rf.json_schema ?? {}) } : undefined,
      rf?.type === "json_schema" ? "response_format.json_schema" : "response_format",
    )
  );
}

/**
 * The assistant message of a chat completion: the answer with its citations, or a tool call
 * (no content, no citations).
 */
function assistantMessage(text: string | null, call: ToolCall | null, annotations: UrlCitation[]) {
  if (call) {
    return {
      role: "assistant" as const,
      content: null,
      refusal: null,
      tool_calls: [
        { id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } },
      ],
      annotations: [],
    };
  }
  return { role: "assistant" as const, content: text ?? "", refusal: null, annotations };
}

interface Meta {
  id: string;
  created: number;
  model: string;
}

/** A chat.completion object; the `deeprecall` object when the engine answered (`result`). */
function chatJson(
  meta: Meta,
  message: ReturnType<typeof assistantMessage>,
  finishReason: string,
  usage: ReturnType<typeof usageJson>,
  result?: DeepRecallResult,
) {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage,
    ...(result ? { deeprecall: extensionJson(result) } : {}),
  };
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
  const route = generationRoute({
    path: "/v1/chat/completions",
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
    body: ChatCompletionRequestSchema,
    schema: ChatCompletionSchema,
    stream: {
      name: "ChatCompletionStreamEvent",
      description:
        "A JSON chat.completion.chunk, an OpenAI-shaped error object, or the literal [DONE] (always last).",
    },
    responseDescription: "The completion (JSON), or an SSE stream of chunks",
  });
  jsonRoute(app, ctx, route, ChatCompletionRequestSchema, async (c, body) => {
    const task = ctx.task;
    const explicitTask = task !== undefined && body.model === task.name;
    // The engine is resolved first (a 404 for an unknown model), except for the task model.
    const target = explicitTask ? undefined : await targetOfModel(ctx, body.model);
    assertModelAvailable(ctx);
    const meta: Meta = {
      id: openaiId("chatcmpl-"),
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? ctx.modelName,
    };
    const streamMeta = (): StreamMeta => ({
      ...meta,
      object: "chat.completion.chunk",
      includeUsage: body.stream_options?.include_usage === true,
      signal: c.req.raw.signal,
      record: c.get("requestLog"),
    });
    if (task) {
      // The built-in detector only reads the last message: most chats are told apart without
      // converting the others.
      const maybe =
        explicitTask ||
        (task.detect !== undefined && (task.detect !== isHousekeeping || mightBeHousekeeping(body)));
      const messages = maybe ? taskMessagesOf(body) : undefined;
      if (explicitTask || (maybe && task.detect?.(messages!))) {
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
          const response = streamTask(ctx, task.engine, call, streamMeta());
          return c.newResponse(response.body, response);
        }
        const outcome = await runTask(task.engine, call, c.req.raw.signal);
        const message = assistantMessage(outcome.text, taskToolCall(outcome), []);
        const json = chatJson(meta, message, outcome.finishReason, usageJson(tokens(outcome.usage)));
        return jsonResponse(c, JSON.stringify(json));
      }
    }
    const { engine, collection } = target!;
    const turn = chatTurn(body);
    checkTurn(engine, turn, turn.shape?.kind === "tool" ? "tool_choice" : "response_format");
    const links = citationLinks(ctx.publicUrl, c.req.url, collection, ctx.console);
    if (body.stream) {
      const response = streamChat(ctx, engine, turn, { ...streamMeta(), links });
      // Through the context, so headers set by middleware (request id, rate-limit) are kept.
      return c.newResponse(response.body, response);
    }
    const outcome = await runTurn(engine, turn, c.req.raw.signal, ctx.budget);
    const annotations = answerCitations(outcome.text, outcome.result, turn.shape !== null, links);
    const message = assistantMessage(outcome.text, outcome.toolCall, annotations);
    const json = chatJson(meta, message, outcome.finishReason, usageJson(outcome.usage), outcome.result);
    return jsonResponse(c, JSON.stringify(json));
  });
}

interface StreamMeta extends ChunkMeta {
  signal: AbortSignal;
  record: RequestLog | undefined;
}

const chatChunker = (o: StreamMeta) =>
  chunker<Record<string, unknown>>(
    o,
    (delta, finishReason) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason }),
    {},
  );

/** A tool call as OpenAI streams it: its id and name first, then its arguments. */
function sendToolCall(out: SseWriter, chunk: ReturnType<typeof chatChunker>["chunk"], call: ToolCall): void {
  out.send(
    chunk({
      tool_calls: [{ index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
    }),
  );
  out.send(chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments } }] }));
}

/**
 * A chat chunk stream: the role chunk first (its content null when the answer is a forced tool
 * call, as OpenAI streams those), then what `run` writes with the stream's builders.
 */
function chatStream(
  ctx: RouteContext,
  o: StreamMeta,
  run: (out: SseWriter, chunks: ReturnType<typeof chatChunker>) => Promise<void>,
  toolCall = false,
): Response {
  const chunks = chatChunker(o);
  return chunkStream({
    signal: o.signal,
    keepAliveMs: ctx.keepAliveMs,
    record: o.record,
    start: (out) => out.send(chunks.chunk({ role: "assistant", content: toolCall ? null : "" })),
    run: (out) => run(out, chunks),
  });
}

/** The task model's forced tool call (its text is the arguments), with a fresh call id. */
function taskToolCall(outcome: TaskOutcome): ToolCall | null {
  if (!outcome.toolCall) return null;
  return { id: randomId("call_", 24), name: outcome.toolCall.name, arguments: outcome.text };
}

function streamTask(ctx: RouteContext, engine: DirectCompletionApi, call: TaskCall, o: StreamMeta): Response {
  return chatStream(
    ctx,
    o,
    async (out, { chunk, finish }) => {
      const outcome = await runTask(engine, call, out.signal, (text) => out.send(chunk({ content: text })));
      if (out.signal.aborted) return;
      const toolCall = taskToolCall(outcome);
      if (toolCall) sendToolCall(out, chunk, toolCall);
      finish(out, outcome.finishReason, usageJson(tokens(outcome.usage)));
    },
    call.shape?.kind === "tool",
  );
}

function streamChat(
  ctx: RouteContext,
  engine: Engine,
  turn: Turn,
  o: StreamMeta & { links: CitationLinks },
): Response {
  const started = performance.now();
  return chatStream(
    ctx,
    o,
    async (out, { chunk, finish }) => {
      for await (const event of streamTurn(engine, turn, out.signal, ctx.reasoningStream, ctx.budget)) {
        if (event.type === "reasoning") out.send(chunk({ reasoning_content: event.text }));
        else if (event.type === "text") out.send(chunk({ content: event.text }));
        else if (event.type === "trace") {
          const trace = traceEventJson(event.event, performance.now() - started);
          if (trace) out.send(trace, TRACE_EVENT);
        } else {
          const outcome = event.outcome;
          if (outcome.toolCall) sendToolCall(out, chunk, outcome.toolCall);
          else {
            // The citations, once the answer is complete (Open WebUI reads delta.annotations).
            const annotations = answerCitations(outcome.text, outcome.result, turn.shape !== null, o.links);
            if (annotations.length > 0) out.send(chunk({ annotations }));
          }
          finish(out, outcome.finishReason, usageJson(outcome.usage), {
            deeprecall: extensionJson(outcome.result),
          });
        }
      }
    },
    turn.shape?.kind === "tool",
  );
}
