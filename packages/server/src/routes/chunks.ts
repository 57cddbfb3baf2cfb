/**
 * OpenAI's chunk streams, shared by chat completions (engine and task model) and completions:
 * chunks of one completion, the finish (with the usage chunk `stream_options.include_usage` asks
 * for), `data: [DONE]`, and a failure after the 200 went out (or the server's shutdown) as an error
 * object then `[DONE]`.
 */
import { toApiError } from "../errors.ts";
import { type SseWriter, sseResponse } from "../sse.ts";
import { noteStreamFailure, type RequestLog } from "./shared.ts";

/** What every chunk of one streamed completion repeats. */
export interface ChunkMeta {
  id: string;
  /** "chat.completion.chunk" or "text_completion". */
  object: string;
  created: number;
  model: string;
  /** `stream_options.include_usage`: every chunk has `usage: null`, a last one the usage. */
  includeUsage: boolean;
}

/**
 * The chunk builders of one stream. `choice(payload, finishReason)` is the endpoint's one
 * choice (chat: a `delta`; completions: `text`); `empty` is the payload of the finish chunk.
 */
export function chunker<P>(
  meta: ChunkMeta,
  choice: (payload: P, finishReason: string | null) => object,
  empty: P,
) {
  const base = { id: meta.id, object: meta.object, created: meta.created, model: meta.model };
  const usageNull = meta.includeUsage ? { usage: null } : {};
  const chunk = (payload: P, finishReason: string | null = null, extra: object = {}) => ({
    ...base,
    choices: [choice(payload, finishReason)],
    ...usageNull,
    ...extra,
  });
  /**
   * The finish chunk, then with `include_usage` the usage chunk (no choices); `extra` (the
   * `deeprecall` object) rides on the last of them.
   */
  const finish = (out: SseWriter, finishReason: string, usage: object, extra: object = {}) => {
    if (meta.includeUsage) {
      out.send(chunk(empty, finishReason));
      out.send({ ...base, choices: [], usage, ...extra });
    } else {
      out.send(chunk(empty, finishReason, extra));
    }
  };
  return { chunk, finish };
}

export interface ChunkStreamOptions {
  signal: AbortSignal;
  keepAliveMs: number;
  record: RequestLog | undefined;
  /** The first chunk(s), written before the response goes out. */
  start?: (out: SseWriter) => void;
  /** Writes the chunks up to and including the finish; `[DONE]` follows unless the client left. */
  run: (out: SseWriter) => Promise<void>;
}

/**
 * An SSE response of OpenAI chunks ending in `data: [DONE]`. A failure after the headers went out
 * is sent as OpenAI's error object, then `[DONE]`, and noted for the request log; so is the
 * server's shutdown ending a stream still open (a 503 `server_shutting_down`, see shutdown.ts).
 * When the client left, nothing more is written (the request log says so).
 */
export function chunkStream(o: ChunkStreamOptions): Response {
  return sseResponse({
    signal: o.signal,
    keepAliveMs: o.keepAliveMs,
    ...(o.start ? { start: o.start } : {}),
    run: async (out) => {
      await o.run(out);
      if (out.signal.aborted) return;
      out.raw("data: [DONE]\n\n");
    },
    fail: (out, error) => {
      const apiError = toApiError(error);
      noteStreamFailure(o.record, error, apiError.status);
      out.send(apiError.toBody());
      out.raw("data: [DONE]\n\n");
    },
  });
}
