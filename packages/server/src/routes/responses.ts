/**
 * POST /v1/responses: OpenAI's Responses API over the shared pipeline. A finished response is kept
 * in the app's {@link ResponseStore} unless the request says `store: false` (or the app stores
 * none), so a follow-up can name it as `previous_response_id`; reading and deleting stored
 * responses is in ./stored-responses.ts. `conversation` is refused (there are no conversations).
 */
import type { DeepRecallResult, ModelMessage } from "@deeprecall/core";
import { plural } from "@deeprecall/core";
import { answerCitations, type CitationLinks, citationLinks, responseCitation } from "../citations.ts";
import { targetOfModel } from "../collections.ts";
import { extensionJson, randomId } from "../convert.ts";
import { ApiError, toApiError } from "../errors.ts";
import { followUpContext } from "../follow-up.ts";
import { jsonResponse } from "../headers.ts";
import {
  checkStrictTool,
  extensionOptions,
  type FunctionTool,
  invalid,
  jsonShape,
  missing,
  partsText,
  sampling,
  toolShape,
  unsupported,
} from "../params.ts";
import { checkTurn, type Outcome, runTurn, streamTurn, type Tokens, type Turn } from "../pipeline.ts";
import { conversationItems, duplicateId, inputItems, TEXT_PARTS } from "../response-items.ts";
import type { ResponseItem, ResponseStore } from "../response-store.ts";
import { ResponseObjectSchema, type ResponseRequest, ResponseRequestSchema } from "../schemas.ts";
import { type SseWriter, sseResponse } from "../sse.ts";
import {
  type App,
  assertModelAvailable,
  type Engine,
  generationRoute,
  jsonRoute,
  noteStreamFailure,
  type RequestLog,
  type RouteContext,
  scopeOf,
} from "./shared.ts";
import { registerStoredResponses } from "./stored-responses.ts";

/** Text of one input item's content (a string or parts); other part types are a 400 naming the exact param. */
function contentText(content: unknown, role: string, param: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content))
    throw invalid(param, `Invalid value for '${param}': expected a string or an array of content parts.`);
  return partsText(content, role, param, TEXT_PARTS);
}

interface Entry {
  role: "system" | "user" | "assistant" | "context";
  text: string;
}

/**
 * What a request's input is read with beyond itself, from the stored responses of its caller
 * (none when the app stores no responses).
 */
export interface StoredContext {
  /**
   * The conversation of the response named by `previous_response_id` (its input items, then its
   * output), or undefined when there is no such response in the caller's scope. Called once.
   */
  previous?: (id: string) => readonly ResponseItem[] | undefined;
  /** An earlier output item by id, for an `item_reference` (undefined: unknown, skipped). */
  item?: (id: string) => ResponseItem | undefined;
}

/** A function call item as the assistant's turn the engine reads. */
function callEntry(item: Record<string, unknown>): Entry {
  return {
    role: "assistant",
    text: `[tool call] ${String(item.name ?? "")}(${String(item.arguments ?? "").slice(0, 4000)})`,
  };
}

/** The entry of an earlier output item an `item_reference` named: the assistant's turn. */
function referencedEntry(item: ResponseItem): Entry | undefined {
  if (item.type === "message")
    return { role: "assistant", text: contentText(item.content, "assistant", "input") };
  return item.type === "function_call" ? callEntry(item) : undefined;
}

/** A function call output's `output` as the engine reads it: a string, or the JSON text of the rest. */
function outputText(output: unknown, param: string): string {
  if (typeof output === "string") return output;
  try {
    return JSON.stringify(output ?? "");
  } catch {
    throw invalid(param, `Invalid value for '${param}': nested too deeply.`);
  }
}

/** Whether an input item is an `item_reference` (an earlier output item by id). */
function isReference(item: unknown): boolean {
  return (item as { type?: unknown } | null)?.type === "item_reference";
}

/**
 * The entries of `previous` (a stored conversation: already valid) followed by the request's
 * `input`. Errors name the request's own items (`input[i]`), whose indices do not count
 * `previous`; a function call in `previous` is answered by an output in `input` as if both had
 * been sent in `input`. An output in `previous` is not checked again: its request was accepted,
 * perhaps naming its call by an `item_reference` the store no longer resolves.
 */
function inputEntries(
  request: ResponseRequest["input"],
  previous: readonly unknown[],
  stored: StoredContext,
): Entry[] {
  const own = typeof request === "string" ? [{ role: "user", content: request }] : request;
  const input = [...previous, ...own];
  const entries: Entry[] = [];
  // Function calls in the input (in order, and as a set: a long tool history is checked in linear
  // time), and the outputs sent for them: a call without one is a 400.
  const calls: string[] = [];
  const called = new Set<string>();
  const outputs = new Set<string>();
  // A call sent back as an item_reference carries no call_id here: its output cannot be checked.
  const references = input.some(isReference);
  input.forEach((raw, k) => {
    const i = k - previous.length;
    const item = raw as Record<string, unknown>;
    const type = typeof item.type === "string" ? item.type : "message";
    if (type === "message") {
      const role = item.role;
      if (role !== "user" && role !== "assistant" && role !== "system" && role !== "developer") {
        throw invalid(
          `input[${i}].role`,
          `Invalid value for 'input[${i}].role': expected user, assistant, system or developer.`,
        );
      }
      const text = contentText(item.content, role, `input[${i}].content`);
      entries.push({ role: role === "developer" ? "system" : role, text });
    } else if (type === "function_call") {
      if (typeof item.call_id === "string") {
        calls.push(item.call_id);
        called.add(item.call_id);
      }
      entries.push(callEntry(item));
    } else if (type === "function_call_output") {
      if (typeof item.call_id !== "string") {
        throw missing(`input[${i}].call_id`);
      }
      if (i >= 0 && !references && !called.has(item.call_id)) {
        // OpenAI's answer to an output sent for a call the conversation never made.
        throw invalid(
          `input[${i}].call_id`,
          `No tool call found for function call output with call_id ${item.call_id.slice(0, 100)}.`,
        );
      }
      outputs.add(item.call_id);
      const output = outputText(item.output, `input[${i}].output`);
      entries.push({
        role: "context",
        text: `[function output for ${item.call_id.slice(0, 100)}]\n${output}`,
      });
    } else if (type === "reasoning") {
      // Our own earlier reasoning summaries, sent back by a client: nothing to replay.
    } else if (type === "item_reference") {
      // An earlier output item by id: replayed while the store keeps its response, else skipped.
      const found = typeof item.id === "string" ? stored.item?.(item.id) : undefined;
      const entry = found ? referencedEntry(found) : undefined;
      if (entry) entries.push(entry);
    } else {
      throw unsupported(
        `input[${i}].type`,
        `Input items of type '${type.slice(0, 40)}' are not supported: send messages, function calls and function call outputs.`,
      );
    }
  });
  const unanswered = calls.find((id) => !outputs.has(id));
  if (unanswered !== undefined) {
    // OpenAI's answer to a function call sent back without its output.
    throw invalid("input", `No tool output found for function call ${unanswered.slice(0, 100)}.`);
  }
  return entries;
}

/** OpenAI's 400 for a `previous_response_id` it does not have (or that another key stored). */
function previousNotFound(id: string): ApiError {
  return new ApiError(400, `Previous response with id '${id.slice(0, 200)}' not found.`, {
    param: "previous_response_id",
    code: "previous_response_not_found",
  });
}

/**
 * The engine turn of a Responses API request: the last user message is the query, earlier turns
 * (those of the response named by `previous_response_id` first, then `input`'s) the history,
 * instructions and system/developer messages the instructions, function calls after the question
 * and their outputs the follow-up context.
 *
 * @throws ApiError 400 for what cannot be answered: `previous_response_id` when `stored` has no
 *   `previous` (`unsupported_value`) or names no response of the caller
 *   (`previous_response_not_found`), `conversation`, `background`, `prompt`, bad input items…
 */
export function responseTurn(body: ResponseRequest, stored: StoredContext = {}): Turn {
  if (body.conversation !== undefined && body.conversation !== null) {
    throw unsupported(
      "conversation",
      "conversation is not supported: this server does not store conversations. Use previous_response_id, or send the earlier turns in `input`.",
    );
  }
  let previous: readonly unknown[] = [];
  if (body.previous_response_id) {
    if (!stored.previous) {
      throw unsupported(
        "previous_response_id",
        "previous_response_id is not supported: this server does not store responses. Send the earlier turns in `input`.",
      );
    }
    const found = stored.previous(body.previous_response_id);
    if (!found) throw previousNotFound(body.previous_response_id);
    previous = found;
  }
  if (body.background === true) throw unsupported("background", "background responses are not supported.");
  if (body.prompt !== undefined && body.prompt !== null) {
    throw unsupported("prompt", "Prompt templates are not supported: send `input` and `instructions`.");
  }
  if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) {
    throw unsupported("top_logprobs", "top_logprobs is not supported: logprobs are not available.");
  }
  const entries = inputEntries(body.input, previous, stored);
  let last = -1;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.role === "user") {
      last = i;
      break;
    }
  }
  if (last === -1) {
    throw new ApiError(400, "input must contain a user message: it is the question to answer.", {
      param: "input",
      code: "missing_user_message",
    });
  }
  const query = entries[last]!.text;
  if (query.trim() === "") throw invalid("input", "The last user message is empty.");
  const instructions: string[] = body.instructions?.trim() ? [body.instructions] : [];
  const history: ModelMessage[] = [];
  // The function calls after the question and the outputs sent back for them.
  const followUp: string[] = [];
  entries.forEach((e, i) => {
    if (e.role === "system") {
      if (e.text.trim()) instructions.push(e.text);
      return;
    }
    if (i === last || e.text.trim() === "") return;
    if (i > last) followUp.push(e.role === "assistant" ? `[assistant]\n${e.text}` : e.text);
    else if (e.role === "assistant") history.push({ role: "assistant", content: e.text });
    else history.push({ role: "user", content: e.text });
  });
  const options = extensionOptions(body.deeprecall);
  if (instructions.length) options.instructions = instructions.join("\n\n");
  if (history.length) options.history = history;
  const context = followUpContext(followUp);
  if (context) options.contextPrefix = context;
  const s = sampling(body);
  if (typeof body.max_output_tokens === "number") s.maxOutputTokens = body.max_output_tokens;

  const functions: FunctionTool[] = [];
  const other: string[] = [];
  (body.tools ?? []).forEach((tool, i) => {
    if (tool.type !== "function") {
      other.push(tool.type);
      return;
    }
    if (typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) {
      throw invalid(
        `tools[${i}].name`,
        "A function tool needs a name of 1-64 characters of a-z, A-Z, 0-9, _ and -.",
      );
    }
    checkStrictTool(
      { name: tool.name, parameters: tool.parameters, strict: tool.strict },
      `tools[${i}].parameters`,
    );
    functions.push({
      name: tool.name,
      description: tool.description ?? undefined,
      parameters: tool.parameters,
    });
  });
  const tool = toolShape(
    functions,
    other,
    body.tool_choice,
    { tools: "tools", toolChoice: "tool_choice" },
    (choice) => choice.name,
  );
  const format = body.text?.format;
  // Unlike chat's json_schema, the Responses API's requires the schema itself.
  if (format?.type === "json_schema" && format.schema === undefined) throw missing("text.format.schema");
  const shape = tool ?? jsonShape(format, "text.format");
  return { query, options, stop: [], shape, sampling: s };
}

/**
 * OpenAI's `ResponseUsage`. Its schema requires both details objects, so a count the provider
 * did not report is 0 here (chat and completions leave it out instead); DeepRecall does not
 * track cache writes, so `cache_write_tokens` is always 0.
 */
function usageJson(u: Tokens) {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0, cache_write_tokens: 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.totalTokens,
  };
}

function toolsJson(body: ResponseRequest) {
  return (body.tools ?? [])
    .filter((t) => t.type === "function")
    .map((t) => ({
      type: "function" as const,
      name: t.name ?? "",
      description: t.description ?? null,
      parameters: t.parameters ?? null,
      strict: t.strict ?? true,
    }));
}

function textFormatJson(body: ResponseRequest) {
  const verbosity = body.text?.verbosity ?? "medium";
  const f = body.text?.format;
  if (!f || f.type === "text") return { format: { type: "text" }, verbosity };
  if (f.type === "json_object") return { format: { type: "json_object" }, verbosity };
  return {
    format: {
      type: "json_schema",
      name: f.name ?? "response",
      schema: f.schema ?? { type: "object" },
      strict: f.strict ?? null,
      ...(f.description ? { description: f.description } : {}),
    },
    verbosity,
  };
}

interface Envelope {
  id: string;
  createdAt: number;
  model: string;
  body: ResponseRequest;
  /** The response will be kept (`store: true` asked, or by default, and the app stores responses). */
  store: boolean;
}

type Status = "in_progress" | "completed" | "incomplete" | "failed";

function responseJson(
  env: Envelope,
  status: Status,
  output: unknown[],
  extra: {
    usage?: Tokens;
    result?: DeepRecallResult;
    error?: { code: string; message: string };
  } = {},
) {
  const body = env.body;
  return {
    id: env.id,
    object: "response" as const,
    created_at: env.createdAt,
    status,
    completed_at: status === "completed" ? Math.floor(Date.now() / 1000) : null,
    background: false,
    error: extra.error ?? null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" as const } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: env.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    // The request's settings echoed, as OpenAI does (null where not set).
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    service_tier: "default" as const,
    store: env.store,
    temperature: body.temperature ?? 1,
    text: textFormatJson(body),
    tool_choice: body.tool_choice ?? "auto",
    tools: toolsJson(body),
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    top_logprobs: body.top_logprobs ?? 0,
    max_tool_calls: body.max_tool_calls ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    safety_identifier: body.safety_identifier ?? null,
    // OpenAI's schema has no null usage: absent until the response is done.
    ...(extra.usage ? { usage: usageJson(extra.usage) } : {}),
    metadata: body.metadata ?? {},
    ...(body.user !== undefined ? { user: body.user } : {}),
    ...(extra.result ? { deeprecall: extensionJson(extra.result) } : {}),
  };
}

type Citation = ReturnType<typeof responseCitation>;

const textPart = (text: string, annotations: Citation[] = []) => ({
  type: "output_text" as const,
  text,
  annotations,
  logprobs: [],
});

/**
 * The assistant's message item. `incomplete` (the response is incomplete: the answer was cut) still
 * carries the text, as OpenAI's truncated messages do.
 */
function messageItem(
  id: string,
  text: string,
  status: "in_progress" | "completed" | "incomplete",
  annotations: Citation[] = [],
) {
  return {
    id,
    type: "message" as const,
    status,
    role: "assistant" as const,
    content: status === "in_progress" ? [] : [textPart(text, annotations)],
  };
}

/** The answer's sources as the output text's `url_citation` annotations (none for a tool call). */
function citationsOf(outcome: Outcome, turn: Turn, links: CitationLinks): Citation[] {
  if (outcome.toolCall) return [];
  return answerCitations(outcome.text, outcome.result, turn.shape !== null, links).map(responseCitation);
}

function reasoningItem(id: string, summary: string | null, status: "in_progress" | "completed") {
  return {
    id,
    type: "reasoning" as const,
    summary: summary === null ? [] : [{ type: "summary_text" as const, text: summary }],
    status,
  };
}

function functionCallItem(id: string, call: { id: string; name: string; arguments: string }, done: boolean) {
  return {
    id,
    type: "function_call" as const,
    call_id: call.id,
    name: call.name,
    arguments: done ? call.arguments : "",
    status: done ? ("completed" as const) : ("in_progress" as const),
  };
}

/** One summary line per reasoning step, for a response that was not streamed. */
function stepsSummary(result: DeepRecallResult): string | null {
  const steps = result.reasoningTrace ?? [];
  if (steps.length === 0) return null;
  return steps
    .map((step) => {
      const searches = (step.searches ?? []).map((s) => `searched "${s.query}" (${plural(s.hits, "hit")})`);
      const code = step.code?.length ? [`ran ${plural(step.code.length, "code block")}`] : [];
      const what = [...searches, ...code];
      return `Step ${step.iteration}: ${what.length ? what.join("; ") : "thought"}${step.final ? " — answered" : ""}`;
    })
    .join("\n");
}

function statusOf(outcome: Outcome): Status {
  return outcome.finishReason === "length" ? "incomplete" : "completed";
}

/** The finished message item's status: incomplete with the response. */
function itemStatus(outcome: Outcome): "completed" | "incomplete" {
  return statusOf(outcome) === "incomplete" ? "incomplete" : "completed";
}

function outputOf(outcome: Outcome, withReasoning: boolean, citations: Citation[]): unknown[] {
  const output: unknown[] = [];
  const summary = withReasoning ? stepsSummary(outcome.result) : null;
  if (summary !== null) output.push(reasoningItem(randomId("rs_", 24), summary, "completed"));
  if (outcome.toolCall) output.push(functionCallItem(randomId("fc_", 24), outcome.toolCall, true));
  else output.push(messageItem(randomId("msg_", 24), outcome.text ?? "", itemStatus(outcome), citations));
  return output;
}

/** Keeps a finished (or failed) response: its JSON text as returned, and its output items. */
type Save = (json: string, output: readonly unknown[]) => void;

/**
 * The {@link Save} of response `env` in the caller's `scope`: what the store keeps with it is
 * `input`, the items it was generated from. A response too big for the store is logged, not kept.
 */
function saver(
  ctx: RouteContext,
  store: ResponseStore,
  scope: string,
  env: Envelope,
  input: ResponseItem[],
): Save {
  return (json, output) => {
    let why: string | undefined;
    try {
      const record = { id: env.id, response: json, input, output: conversationItems(output) };
      if (!store.put(scope, record)) why = `is larger than the response store's maxBytes (${store.maxBytes})`;
    } catch (error) {
      // Never the request's (or the stream's) failure: the answer is there, only its keeping failed.
      why = `could not be written (${error instanceof Error ? error.message : String(error)})`;
    }
    if (why) ctx.log({ level: "warn", message: `Response ${env.id} ${why}: not stored.` });
  };
}

export function registerResponses(app: App, ctx: RouteContext): void {
  const route = generationRoute({
    path: "/v1/responses",
    summary: "Create a model response (Responses API; regular or streaming)",
    description:
      "Answers the last user message of `input` with DeepRecall. Streams OpenAI's event sequence " +
      "(response.created … response.output_text.delta … response.completed), with the engine's " +
      "progress as reasoning-summary events. The sources the answer draws on are `url_citation` " +
      "annotations of its output text. The finished response is stored (in this process, per API " +
      "key) unless `store` is false, so `GET /v1/responses/{response_id}` returns it and " +
      "`previous_response_id` continues its conversation; `conversation` is a 400.",
    body: ResponseRequestSchema,
    schema: ResponseObjectSchema,
    stream: {
      name: "ResponseStreamEvent",
      description: "A JSON Responses API stream event (its `type` is also the SSE `event` name).",
    },
    responseDescription: "The response (JSON), or an SSE stream of events",
  });
  jsonRoute(app, ctx, route, ResponseRequestSchema, async (c, body) => {
    const { engine, collection } = await targetOfModel(ctx, body.model);
    assertModelAvailable(ctx);
    const store = ctx.responses;
    const scope = scopeOf(c);
    // The conversation previous_response_id names, read once: responseTurn checks and replays
    // it, and this response is stored with it.
    let earlier: readonly ResponseItem[] = [];
    const stored: StoredContext = store
      ? {
          previous: (id) => {
            const kept = store.get(scope, id);
            if (kept) earlier = [...kept.input(), ...kept.output()];
            return kept && earlier;
          },
          item: (id) => store.item(scope, id),
        }
      : {};
    const turn = responseTurn(body, stored);
    checkTurn(engine, turn, turn.shape?.kind === "tool" ? "tool_choice" : "text.format");
    const env: Envelope = {
      id: randomId("resp_", 24),
      createdAt: Math.floor(Date.now() / 1000),
      model: body.model ?? ctx.modelName,
      body,
      store: store !== undefined && body.store !== false,
    };
    let save: Save | undefined;
    if (store && env.store) {
      // What the response is generated from: the earlier conversation, then this input.
      const input = [...earlier, ...inputItems(body.input, stored.item)];
      const duplicate = duplicateId(input);
      if (duplicate !== undefined) {
        // OpenAI's answer; and input_items could not page through a list with an id twice.
        throw invalid(
          "input",
          `Duplicate item found with id ${duplicate.slice(0, 200)}. Remove duplicate items from your input and try again.`,
        );
      }
      save = saver(ctx, store, scope, env, input);
    }
    const links = citationLinks(ctx.publicUrl, c.req.url, collection, ctx.console);
    if (!body.stream) {
      const outcome = await runTurn(engine, turn, c.req.raw.signal, ctx.budget);
      const output = outputOf(outcome, ctx.reasoningStream, citationsOf(outcome, turn, links));
      const json = JSON.stringify(
        responseJson(env, statusOf(outcome), output, { usage: outcome.usage, result: outcome.result }),
      );
      save?.(json, output);
      return jsonResponse(c, json);
    }
    const response = streamResponse(ctx, engine, turn, env, {
      signal: c.req.raw.signal,
      record: c.get("requestLog"),
      save,
      links,
    });
    return c.newResponse(response.body, response);
  });
  registerStoredResponses(app, ctx);
}

interface StreamContext {
  signal: AbortSignal;
  record: RequestLog | undefined;
  /** Keeps the finished (or failed) response; undefined when it is not to be kept. */
  save: Save | undefined;
  links: CitationLinks;
}

function streamResponse(
  ctx: RouteContext,
  engine: Engine,
  turn: Turn,
  env: Envelope,
  { signal, record, save, links }: StreamContext,
): Response {
  let seq = 0;
  const emit = (out: SseWriter, type: string, fields: Record<string, unknown>) =>
    out.send({ type, sequence_number: seq++, ...fields }, type);
  const output: unknown[] = [];

  return sseResponse({
    signal,
    keepAliveMs: ctx.keepAliveMs,
    start: (out) => {
      emit(out, "response.created", { response: responseJson(env, "in_progress", []) });
      emit(out, "response.in_progress", { response: responseJson(env, "in_progress", []) });
    },
    run: async (out) => {
      // The reasoning item (open while progress arrives) and the message item (open while text arrives).
      let reasoning: { id: string; index: number; text: string } | undefined;
      let message: { id: string; index: number; text: string } | undefined;
      const closeReasoning = () => {
        if (!reasoning) return;
        const r = reasoning;
        const base = { item_id: r.id, output_index: r.index, summary_index: 0 };
        emit(out, "response.reasoning_summary_text.done", { ...base, text: r.text });
        emit(out, "response.reasoning_summary_part.done", {
          ...base,
          part: { type: "summary_text", text: r.text },
        });
        const item = reasoningItem(r.id, r.text, "completed");
        output[r.index] = item;
        emit(out, "response.output_item.done", { output_index: r.index, item });
        reasoning = undefined;
      };
      const openMessage = () => {
        if (message) return message;
        closeReasoning();
        message = { id: randomId("msg_", 24), index: output.length, text: "" };
        output.push(messageItem(message.id, "", "in_progress"));
        emit(out, "response.output_item.added", {
          output_index: message.index,
          item: messageItem(message.id, "", "in_progress"),
        });
        emit(out, "response.content_part.added", {
          item_id: message.id,
          output_index: message.index,
          content_index: 0,
          part: textPart(""),
        });
        return message;
      };
      for await (const event of streamTurn(engine, turn, out.signal, ctx.reasoningStream, ctx.budget)) {
        if (event.type === "reasoning") {
          if (message) continue; // progress after the answer started has nowhere to go
          if (!reasoning) {
            reasoning = { id: randomId("rs_", 24), index: output.length, text: "" };
            output.push(reasoningItem(reasoning.id, null, "in_progress"));
            emit(out, "response.output_item.added", {
              output_index: reasoning.index,
              item: reasoningItem(reasoning.id, null, "in_progress"),
            });
            emit(out, "response.reasoning_summary_part.added", {
              item_id: reasoning.id,
              output_index: reasoning.index,
              summary_index: 0,
              part: { type: "summary_text", text: "" },
            });
          }
          const delta = reasoning.text ? `\n${event.text}` : event.text;
          reasoning.text += delta;
          emit(out, "response.reasoning_summary_text.delta", {
            item_id: reasoning.id,
            output_index: reasoning.index,
            summary_index: 0,
            delta,
          });
        } else if (event.type === "text") {
          const m = openMessage();
          m.text += event.text;
          emit(out, "response.output_text.delta", {
            item_id: m.id,
            output_index: m.index,
            content_index: 0,
            delta: event.text,
            logprobs: [],
          });
        } else if (event.type === "done") {
          const outcome = event.outcome;
          closeReasoning();
          if (outcome.toolCall) {
            const call = outcome.toolCall;
            const id = randomId("fc_", 24);
            const index = output.length;
            output.push(functionCallItem(id, call, false));
            emit(out, "response.output_item.added", {
              output_index: index,
              item: functionCallItem(id, call, false),
            });
            emit(out, "response.function_call_arguments.delta", {
              item_id: id,
              output_index: index,
              delta: call.arguments,
            });
            emit(out, "response.function_call_arguments.done", {
              item_id: id,
              output_index: index,
              name: call.name,
              arguments: call.arguments,
            });
            output[index] = functionCallItem(id, call, true);
            emit(out, "response.output_item.done", { output_index: index, item: output[index] });
          } else {
            const m = openMessage();
            const base = { item_id: m.id, output_index: m.index, content_index: 0 };
            // The citations, once the answer is complete (its handles are all known then).
            const citations = citationsOf(outcome, turn, links);
            citations.forEach((annotation, i) => {
              emit(out, "response.output_text.annotation.added", {
                ...base,
                annotation_index: i,
                annotation,
              });
            });
            emit(out, "response.output_text.done", { ...base, text: m.text, logprobs: [] });
            emit(out, "response.content_part.done", { ...base, part: textPart(m.text, citations) });
            output[m.index] = messageItem(m.id, m.text, itemStatus(outcome), citations);
            emit(out, "response.output_item.done", { output_index: m.index, item: output[m.index] });
          }
          const status = statusOf(outcome);
          const response = responseJson(env, status, output, {
            usage: outcome.usage,
            result: outcome.result,
          });
          // Stored before the client hears it is done, so a GET right after finds it.
          save?.(JSON.stringify(response), output);
          emit(out, status === "incomplete" ? "response.incomplete" : "response.completed", { response });
        }
      }
    },
    // A failure after the 200 went out, or the server's shutdown ending the stream (a 503
    // server_shutting_down): `error`, then `response.failed` with what was produced so far.
    fail: (out, error) => {
      const apiError = toApiError(error);
      noteStreamFailure(record, error, apiError.status);
      emit(out, "error", { code: apiError.code, message: apiError.message, param: apiError.param });
      const response = responseJson(env, "failed", output, {
        error: {
          code: apiError.status === 429 ? "rate_limit_exceeded" : "server_error",
          message: apiError.message,
        },
      });
      save?.(JSON.stringify(response), output);
      emit(out, "response.failed", { response });
    },
  });
}
