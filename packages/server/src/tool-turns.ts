/**
 * The checks OpenAI's API makes on a conversation's tool turns, so a request it would refuse is
 * refused here too (400) instead of being answered from a conversation that does not hang
 * together: every `tool` message answers a call of the assistant message right before it (by
 * `tool_call_id`), and every call of an assistant message is answered before the conversation
 * goes on.
 */
import { ApiError } from "./errors.ts";
import { missing } from "./params.ts";

interface ToolTurn {
  role: string;
  tool_call_id?: string | undefined;
  tool_calls?: unknown[] | null | undefined;
}

/** The ids of an assistant message's `tool_calls` (calls without a string id are skipped). */
function callIds(calls: unknown[] | null | undefined): string[] {
  const ids: string[] = [];
  for (const call of calls ?? []) {
    const id = (call as { id?: unknown } | null)?.id;
    if (typeof id === "string") ids.push(id);
  }
  return ids;
}

/**
 * Throws the 400 OpenAI answers for a chat conversation whose tool turns do not pair up: a
 * `tool` message without `tool_call_id` (`missing_required_parameter`), one that answers no call
 * of the assistant message before it, or an assistant message with `tool_calls` some of which get
 * no `tool` reply before the next other message (`invalid_value`, `param` naming the message).
 */
export function checkToolTurns(messages: readonly ToolTurn[]): void {
  // Calls of the last assistant message with tool_calls that have not been answered yet.
  let waiting: string[] = [];
  let caller = -1;
  const unanswered = () =>
    new ApiError(
      400,
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${waiting.map((id) => id.slice(0, 64)).join(", ")}`,
      { param: `messages[${caller}].role`, code: "invalid_value" },
    );
  messages.forEach((message, i) => {
    if (message.role === "tool") {
      if (typeof message.tool_call_id !== "string") {
        throw missing(`messages[${i}].tool_call_id`);
      }
      const at = waiting.indexOf(message.tool_call_id);
      if (at === -1) {
        throw new ApiError(
          400,
          `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (no call '${message.tool_call_id.slice(0, 64)}' is waiting for a reply).`,
          { param: `messages[${i}].role`, code: "invalid_value" },
        );
      }
      waiting.splice(at, 1);
      return;
    }
    if (waiting.length > 0) throw unanswered();
    if (message.role === "assistant") {
      waiting = callIds(message.tool_calls);
      caller = i;
    }
  });
  if (waiting.length > 0) throw unanswered();
}
