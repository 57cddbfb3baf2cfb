import { apiFetch, errorOf } from "./api.ts";
import { type ChatStreamEvent, chatStreamEvents } from "./chat-events.ts";
import { readSse } from "./sse.ts";

/**
 * Sends a streamed chat completion and calls `onEvent` for everything it carries — answer text,
 * progress, live trace events, citations, the `deeprecall` extension, usage — in arrival order.
 * Resolves when the stream ends; rejects with the server's error (an ApiError) when the request
 * is refused, and with an AbortError when `signal` fires (Stop).
 */
export async function runChat(
  body: Record<string, unknown>,
  signal: AbortSignal,
  onEvent: (event: ChatStreamEvent) => void,
): Promise<void> {
  const res = await apiFetch("v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorOf(res);
  if (!res.body) throw new Error("The server sent an empty response.");
  await readSse(res.body, (message) => {
    for (const event of chatStreamEvents(message)) onEvent(event);
  });
}
