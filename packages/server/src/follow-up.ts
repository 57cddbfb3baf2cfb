/**
 * What a conversation holds after its last user message: the assistant's tool calls and the
 * results the client sent back (OpenAI's tool loop: user → assistant `tool_calls` → `tool`
 * messages, or Responses `function_call` → `function_call_output` items). The last user message
 * stays the question; these turns reach the model as context, so it answers from the results.
 */

/** Most characters of follow-up text passed on (tool outputs can be whole documents). */
export const MAX_FOLLOW_UP_CHARS = 100_000;

/**
 * The context text for the turns after the question (each already as text, e.g.
 * "[tool output]\n…"), or undefined when there are none. Joined with any context the request
 * already had (`existing`), which comes first. Cut at {@link MAX_FOLLOW_UP_CHARS} characters.
 */
export function followUpContext(turns: readonly string[], existing?: string): string | undefined {
  const texts = turns.filter((t) => t.trim() !== "");
  if (texts.length === 0) return existing;
  let body = texts.join("\n\n");
  if (body.length > MAX_FOLLOW_UP_CHARS) body = `${body.slice(0, MAX_FOLLOW_UP_CHARS)}\n[… cut]`;
  const block = `After the question, the client's tools were called; the calls and their results:\n${body}`;
  return existing ? `${existing}\n\n${block}` : block;
}
