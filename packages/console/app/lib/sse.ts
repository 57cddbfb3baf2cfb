import { createParser, type EventSourceMessage } from "eventsource-parser";

/** One server-sent event: `event` is undefined for plain `data:` events. */
export type SseMessage = Pick<EventSourceMessage, "event" | "data">;

/**
 * Reads a `text/event-stream` body to its end, calling `onMessage` for every event in order as
 * soon as its blank line arrives (comments such as `: keep-alive` are dropped). `EventSource`
 * cannot POST, so the chat stream is read from `fetch`'s body instead. Resolves when the body
 * ends; rejects with the fetch's AbortError when its signal fires.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
): Promise<void> {
  const parser = createParser({ onEvent: (event) => onMessage({ event: event.event, data: event.data }) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // stream: true keeps a multi-byte character split across chunks whole.
      parser.feed(decoder.decode(value, { stream: true }));
    }
    // A last event whose blank line never came (a server that ended mid-event) still counts.
    parser.feed(`${decoder.decode()}\n\n`);
  } finally {
    reader.releaseLock();
  }
}
