/**
 * Server-Sent Events for the streaming endpoints: writes events, sends a keep-alive comment after
 * a silence, and aborts the run when the client goes away (request signal or stream cancel).
 */

export interface SseWriter {
  /** Writes `data: <json>` (with `event: <name>` first when given). */
  send(payload: unknown, event?: string): void;
  /** Writes raw SSE text, e.g. "data: [DONE]\n\n". */
  raw(text: string): void;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

export interface SseOptions {
  /** The request's signal: fires when the client goes away. */
  signal: AbortSignal;
  /** Keep-alive comment after this many ms of silence (0 disables). */
  keepAliveMs: number;
  /** Writes the first events synchronously, before the response goes out. */
  start?: (out: SseWriter) => void;
  /** Produces the rest; the stream closes when it settles. It handles its own errors. */
  run: (out: SseWriter) => Promise<void>;
}

const encoder = new TextEncoder();

export function sseResponse(options: SseOptions): Response {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(options.signal.reason ?? new Error("client disconnected"));
  if (options.signal.aborted) onClientAbort();
  else options.signal.addEventListener("abort", onClientAbort, { once: true });

  let out: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let keepAlive: NodeJS.Timeout | undefined;

  const raw = (text: string) => {
    if (closed || !out) return;
    try {
      out.enqueue(encoder.encode(text));
      keepAlive?.refresh();
    } catch {
      closed = true;
    }
  };
  const writer: SseWriter = {
    send: (payload, event) => raw(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(payload)}\n\n`),
    raw,
    signal: controller.signal,
  };
  const finish = () => {
    if (keepAlive) clearTimeout(keepAlive);
    options.signal.removeEventListener("abort", onClientAbort);
    if (closed) return;
    closed = true;
    try {
      out?.close();
    } catch {
      // already closed by the consumer
    }
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      out = c;
      options.start?.(writer);
      if (options.keepAliveMs > 0) {
        // One timer, pushed back by every write, so it only fires after a silence of keepAliveMs;
        // the comment it writes re-arms it the same way.
        keepAlive = setTimeout(() => raw(": keep-alive\n\n"), options.keepAliveMs);
      }
      void options.run(writer).finally(finish);
    },
    cancel(reason) {
      closed = true;
      controller.abort(reason ?? new Error("client disconnected"));
      finish();
    },
  });

  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
