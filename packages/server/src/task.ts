/**
 * The task model: chat requests passed straight to the engine's backend model — one model call,
 * no retrieval, the model's own answer. Chat UIs send housekeeping requests (titles, tags,
 * follow-up suggestions, search queries, autocomplete) to the chat model; those are recognised
 * here and routed to the task model, so they cost one call and get the JSON they ask for.
 */
import type { CompleteRequest, CompleteResult, DirectCompletionApi, ModelMessage } from "@deeprecall/core";
import { ApiError } from "./errors.ts";
import type { Sampling } from "./params.ts";
import { type Shape, StopFilter } from "./pipeline.ts";

/** A chat message as the task detector sees it: its role and its text. */
export interface TaskMessage {
  role: string;
  content: string;
}

export type TaskDetector = (messages: TaskMessage[]) => boolean;

/** LibreChat's title prompts (the agents package, the OpenAI client, the assistants scaffold). */
const LIBRECHAT_TITLE = [
  /\b5-word-or-less title for the conversation\b/i,
  /analyze this conversation and provide:[\s\S]{0,200}concise title in the detected language/i,
  /write a concise title for this conversation in the detected language/i,
  /please generate a concise title \(max \d+ characters\) for a conversation/i,
];

/** A quick pre-check of a last message's text: false when no housekeeping pattern can match. */
export function mightBeTask(text: string): boolean {
  return text.includes("### Task:") || /title/i.test(text);
}

/**
 * Whether a request is a chat UI's housekeeping request:
 * - Open WebUI's tasks (title, tags, follow-ups, search query generation, autocomplete, emoji):
 *   the last message is a user message starting `### Task:` and every other one is a system
 *   message;
 * - LibreChat's title requests (e.g. "Provide a concise, 5-word-or-less title for the
 *   conversation…"): the last message (user or system) is one of its title prompts.
 */
export const isHousekeeping: TaskDetector = (messages) => {
  const last = messages[messages.length - 1];
  if (!last || last.role === "assistant" || last.role === "tool" || last.role === "function") return false;
  const text = last.content.trimStart();
  if (
    last.role === "user" &&
    text.startsWith("### Task:") &&
    messages.slice(0, -1).every((m) => m.role === "system" || m.role === "developer")
  ) {
    return true;
  }
  return LIBRECHAT_TITLE.some((pattern) => pattern.test(text.slice(0, 4000)));
};

/** What the task model is asked: the messages as they are, and the request's own options. */
export interface TaskCall {
  messages: ModelMessage[];
  instructions: string | undefined;
  sampling: Sampling;
  stop: string[];
  shape: Shape | null;
}

/**
 * The chat messages as model messages: system/developer messages become the instructions (in
 * order), user and assistant turns stay as they are, tool results are shown as user text.
 */
export function taskMessages(messages: TaskMessage[]): { messages: ModelMessage[]; instructions?: string } {
  const instructions: string[] = [];
  const out: ModelMessage[] = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") {
      if (m.content.trim()) instructions.push(m.content);
    } else if (m.role === "assistant") {
      if (m.content.trim()) out.push({ role: "assistant", content: m.content });
    } else if (m.role === "user") {
      out.push({ role: "user", content: m.content });
    } else if (m.content.trim()) {
      out.push({ role: "user", content: `[${m.role} output]\n${m.content}` });
    }
  }
  // A request that is all instructions (LibreChat may send its title prompt as a system message):
  // the model still needs a user turn.
  if (out.length === 0 && instructions.length > 0) {
    return { messages: [{ role: "user", content: instructions.join("\n\n") }] };
  }
  if (out.length === 0) {
    throw new ApiError(400, "messages must contain at least one message with text.", {
      param: "messages",
      code: "invalid_value",
    });
  }
  return { messages: out, ...(instructions.length ? { instructions: instructions.join("\n\n") } : {}) };
}

export interface TaskOutcome {
  /** The answer (cut at a stop sequence), or the tool call's arguments. */
  text: string;
  toolCall: { name: string } | null;
  finishReason: "stop" | "length" | "tool_calls";
  usage: CompleteResult["usage"];
}

/**
 * One call of the task model. `onText` gets the answer as it streams (cut at `stop`); a forced
 * tool call is asked as JSON in the function's parameters schema and returned as the call.
 */
export async function runTask(
  engine: DirectCompletionApi,
  call: TaskCall,
  signal: AbortSignal,
  onText?: (text: string) => void,
): Promise<TaskOutcome> {
  const stop = new StopFilter(call.stop);
  const shape = call.shape;
  const request: CompleteRequest = {
    messages: call.messages,
    ...(call.instructions ? { instructions: call.instructions } : {}),
    ...call.sampling,
    ...(call.stop.length ? { stopSequences: call.stop } : {}),
    ...(shape
      ? {
          responseFormat: {
            schema: shape.schema,
            ...(shape.name ? { name: shape.name } : {}),
            ...(shape.description ? { description: shape.description } : {}),
          },
        }
      : {}),
    signal,
  };
  if (onText && shape?.kind !== "tool") {
    request.onText = (piece) => {
      const text = stop.push(piece);
      if (text) onText(text);
    };
  }
  const result = await engine.complete(request);
  if (shape?.kind === "tool") {
    return {
      text: result.text,
      toolCall: { name: shape.name },
      finishReason: "tool_calls",
      usage: result.usage,
    };
  }
  if (!request.onText) stop.push(result.text);
  const rest = stop.flush();
  if (rest && onText) onText(rest);
  return {
    text: stop.output,
    toolCall: null,
    finishReason: stop.stopped ? "stop" : result.finishReason,
    usage: result.usage,
  };
}
