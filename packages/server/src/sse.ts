/**
 * Server-Sent Events for the streaming endpoints: writes events, sends a keep-alive comment after
 * a silence, aborts the run when the client goes away (request signal or stream cancel), and ends
 * the stream with the endpoint's failure events when the run fails or the server shuts down.
 */
import type { ApiError } from "./errors.ts";
import { currentStreams, type OpenStream } from "./shutdown.ts";

export interface SseWriter {
  /** Writes `data: <json>` (with `event: <name>` first when given). */
  send(payload: unknown, event?: string): void;
  /** Writes raw SSE text, e.g. "data: [DONE]\n\n". */
  raw(text: string): void;
  /** Aborted when the client disconnects, or when the server's shutdown ends the stream. */
  readonly signal: AbortSignal;
}

export interface SseOptions {
  /** The request's signal: fires when the client goes away. */
  signal: AbortSignal;
  /** Keep-alive comment after this many ms of silence (0 disables). */
  keepAliveMs: number;
  /** Writes the first events synchronously, before the response goes out. */
  start?: (out: SseWriter) => void;
  /**
   * Produces the rest; the stream closes when it settles. When it throws while the client is
   * still there, `fail` writes the ending; after the client left, nothing more is written.
   */
  run: (out: SseWriter) => Promise<void>;
  /**
   * Writes the stream's ending after a failure (the stream closes after it): for an error `run`
   * threw, and for the server's shutdown (a 503 `server_shutting_down`, see shutdown.ts), which
   * calls it while the run is still going, then aborts the run and ignores what it writes after.
   */
  fail: (out: SseWriter, error: unknown) => void;
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

  // The server's open streams (when served by startServer): its shutdown ends this one.
  const served = currentStreams();
  const open: OpenStream | undefined = served && {
    end: (error: ApiError) => {
      fail(error);
      controller.abort(error);
    },
    delivered: served.delivered,
  };

  const finish = () => {
    if (keepAlive) clearTimeout(keepAlive);
    options.signal.removeEventListener("abort", onClientAbort);
    if (open) served?.streams.delete(open);
    if (closed) return;
    closed = true;
    try {
      out?.close();
    } catch {
      // already closed by the consumer
    }
  };
  const fail = (error: unknown) => {
    if (!closed) options.fail(writer, error);
    finish();
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
      // Shutting down already (its streams were ended): this one ends at once, without a run.
      const ending = open && served?.streams.add(open);
      if (ending) {
        open.end(ending);
        return;
      }
      void options.run(writer).then(finish, (error: unknown) => {
        if (controller.signal.aborted) finish();
        else fail(error);
      });
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
