/**
 * Graceful shutdown of a served app, shared by `startServer` and the CLI's server (one
 * implementation): stop accepting connections, let in-flight requests finish within the grace
 * period, and before cutting what is left, give every SSE stream still open a proper ending.
 *
 * The rule: streams still open {@link STREAM_END_MARGIN_MS} (1 s) before the grace period ends
 * (at once when it is shorter than that) are ended with the endpoint's failure events for a 503
 * `server_shutting_down` (an OpenAI error chunk then `data: [DONE]`; the Responses API's `error`
 * and `response.failed`), and their engine runs are aborted. A stream opened after that is ended
 * the same way as soon as it starts. Connections still open when the grace period is over are
 * cut, but not before the ended streams' endings were written out (at most 1 s more). A stream
 * that ends on its own before then finishes normally; plain requests keep the whole grace period.
 *
 * How a stream finds its server: `startServer` runs each request in an async context naming the
 * server's {@link OpenStreams} (and the request's Node response, to tell when an ending was
 * delivered); `sseResponse` registers there. An app served some other way has no such context,
 * and its streams are left to that server.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Server } from "node:http";
import { ApiError } from "./errors.ts";

/** How long before the grace period ends the open streams are ended (and the most their endings get). */
export const STREAM_END_MARGIN_MS = 1_000;

/** The error a stream the shutdown ends is failed with: a 503 `server_shutting_down`. */
export function shuttingDownError(): ApiError {
  return new ApiError(
    503,
    "The server is shutting down: this response was ended before it was complete. Send the request again.",
    { code: "server_shutting_down" },
  );
}

/** An open stream, as the shutdown sees it. */
export interface OpenStream {
  /** Writes the stream's failure events for `error`, closes it and aborts its run. */
  end(error: ApiError): void;
  /** Resolves once the stream's response has been written out (or its connection closed). */
  delivered(): Promise<void>;
}

/** The SSE streams of one server that are still open. */
export class OpenStreams {
  readonly #open = new Set<OpenStream>();
  readonly #ended: Array<Promise<void>> = [];
  #ending: ApiError | undefined;

  get size(): number {
    return this.#open.size;
  }

  /**
   * Registers a stream. When the streams were already ended, it is not registered and the
   * shutdown's error is returned: the caller ends the stream at once with it.
   */
  add(stream: OpenStream): ApiError | undefined {
    if (this.#ending) {
      this.#ended.push(stream.delivered());
      return this.#ending;
    }
    this.#open.add(stream);
    return undefined;
  }

  delete(stream: OpenStream): void {
    this.#open.delete(stream);
  }

  /** Ends every open stream, and from now on every new one, with `error`; returns how many were open. */
  endAll(error: ApiError = shuttingDownError()): number {
    this.#ending ??= error;
    const open = [...this.#open];
    this.#open.clear();
    for (const stream of open) {
      this.#ended.push(stream.delivered());
      stream.end(this.#ending);
    }
    return open.length;
  }

  /** Resolves once every stream ended by {@link endAll} has been written out. */
  async delivered(): Promise<void> {
    await Promise.all(this.#ended);
  }
}

/** The part of the request's Node response (`env.outgoing` of `@hono/node-server`) used here. */
interface Outgoing {
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  once(event: "finish" | "close", listener: () => void): unknown;
}

interface RequestScope {
  streams: OpenStreams;
  outgoing: Outgoing | undefined;
}

const requestScope = new AsyncLocalStorage<RequestScope>();

/**
 * Wraps an app's `fetch` so that the streams of its requests register with `streams`. The
 * adapter's `env` is passed through untouched (the client address is read from it).
 */
export function withOpenStreams<E, R>(
  streams: OpenStreams,
  fetch: (request: Request, env: E) => R,
): (request: Request, env: E) => R {
  return (request, env) =>
    requestScope.run({ streams, outgoing: (env as { outgoing?: Outgoing } | undefined)?.outgoing }, () =>
      fetch(request, env),
    );
}

/**
 * The open streams of the server the current request came through, and how to tell that this
 * request's response has been written out; undefined outside {@link withOpenStreams}.
 */
export function currentStreams(): { streams: OpenStreams; delivered: () => Promise<void> } | undefined {
  const scope = requestScope.getStore();
  if (!scope) return undefined;
  const outgoing = scope.outgoing;
  return {
    streams: scope.streams,
    delivered: () =>
      !outgoing || outgoing.writableFinished || outgoing.destroyed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            outgoing.once("finish", resolve);
            outgoing.once("close", resolve);
          }),
  };
}

export interface ShutdownOptions {
  /**
   * How long in-flight requests may run before their connections are cut, in ms. Streams still
   * open 1 s before it ends (at once when it is shorter) are ended with a `server_shutting_down`
   * error. Default 0: streams are ended at once, then connections are cut.
   */
  gracePeriodMs?: number;
  /**
   * How long before the grace period ends the streams still open are ended, and the most their
   * endings get to be delivered, in ms. Default {@link STREAM_END_MARGIN_MS} (1 s); a slow
   * network or a long grace period may want more.
   */
  streamEndMarginMs?: number;
  /** Called when streams still open were ended (with how many), before their endings are delivered. */
  onStreamsEnded?: (count: number) => void;
  /** Called when the grace period is over, just before the remaining connections are cut. */
  onGraceOver?: () => void;
}

/** Resolves after `ms`, or when `promise` does, whichever is first. */
function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(
    () => clearTimeout(timer),
  );
}

/**
 * Shuts `server` down by the rule above: stop accepting, close idle keep-alive connections (and
 * keep closing those that go idle), end the streams of `streams` at the grace period minus a margin,
 * cut whatever is still open when it is over (the margin: `streamEndMarginMs`, default 1 s).
 * Resolves once the server is closed.
 */
export async function shutdownServer(
  server: Server,
  streams: OpenStreams,
  options: ShutdownOptions = {},
): Promise<void> {
  const grace = Math.max(0, options.gracePeriodMs ?? 0);
  const margin = Math.max(0, options.streamEndMarginMs ?? STREAM_END_MARGIN_MS);
  // An error here only says the server was not listening any more: closed all the same.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Keep-alive sockets that go idle after their last response must not hold the close up.
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  let delivered: Promise<void> | undefined;
  const endStreams = () => {
    if (delivered) return;
    const count = streams.endAll();
    if (count > 0) options.onStreamsEnded?.(count);
    delivered = within(streams.delivered(), margin);
  };
  const streamsTimer = setTimeout(endStreams, Math.max(0, grace - margin));
  let graceTimer: NodeJS.Timeout | undefined;
  try {
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => {
        graceTimer = setTimeout(() => resolve(true), grace);
      }),
    ]);
    if (!timedOut) return;
    endStreams();
    await delivered;
    options.onGraceOver?.();
    server.closeAllConnections();
    await closed;
  } finally {
    clearTimeout(streamsTimer);
    clearTimeout(graceTimer);
    clearInterval(idleSweep);
  }
}
