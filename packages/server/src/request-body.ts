/**
 * Request bodies: the size limits every request meets, and the JSON body of an API route read,
 * checked (UTF-8, JSON) and validated against the route's zod schema in one step.
 */
import { isUtf8 } from "node:buffer";
import { IncomingMessage } from "node:http";
import { requestHeader } from "@deeprecall/middleware";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { contentEncodings, decodeBody } from "./content-encoding.ts";
import { ApiError, payloadTooLarge } from "./errors.ts";
import { invalidRequest } from "./invalid-request.ts";
import { jsonDeeperThan, MAX_JSON_DEPTH } from "./json-depth.ts";
/**
 * The body limits, before anything reads a body: `maxSize` bytes for API requests, `uploadLimit`
 * for `uploadPath` (multipart uploads). A request that declares its `Content-Length` (and no
 * `Transfer-Encoding`) is judged from the header alone (Node's parser never delivers more bytes
 * than declared), synchronously; only chunked bodies go through Hono's `bodyLimit`, which counts
 * the bytes as they arrive. Over the limit: 413 `request_too_large`.
 */
export function bodyLimits(maxSize: number, uploadLimit: number, uploadPath: string): MiddlewareHandler {
  const json = limitBody(maxSize, () => payloadTooLarge(maxSize));
  const upload = limitBody(
    uploadLimit,
    () =>
      new ApiError(
        413,
        `Upload too large: the limit is ${uploadLimit} bytes per request (all files together).`,
        {
          code: "request_too_large",
        },
      ),
  );
  return function bodyLimits(c, next) {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    return (c.req.path === uploadPath ? upload : json)(c, next);
  };
}

function limitBody(maxSize: number, tooLarge: () => ApiError): MiddlewareHandler {
  const streaming = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  return (c, next) => {
    const length = requestHeader(c, "content-length");
    if (length !== undefined && requestHeader(c, "transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > maxSize) throw tooLarge();
      return next();
    }
    return streaming(c, next);
  };
}

const MULTIPART_TYPE = /^\s*multipart\//i;

/**
 * A JSON body parser for one route: reads the body (undoing a gzip, deflate or br
 * `Content-Encoding`; others are a 415), refuses invalid UTF-8 (400
 * `invalid_encoding`: never stored as U+FFFD), malformed or empty JSON and JSON nested deeper than
 * {@link MAX_JSON_DEPTH} (400 `invalid_json`) and
 * multipart bodies (415), then validates the value with `schema` (400 `invalid_value` naming the
 * field, see {@link invalidRequest}). The body is JSON whatever it is labelled (`curl -d` sends
 * JSON as form data).
 *
 * A body over `maxSize` bytes is a 413 (chunked bodies are also cut off as they arrive, by
 * {@link bodyLimits}).
 *
 * @returns a promise of the validated value; throws (synchronously) the 415, and the 413 for a
 * declared length over `maxSize`.
 */
export function jsonBodyParser<S extends z.ZodType>(
  schema: S,
  maxSize: number,
): (c: Context) => Promise<z.output<S>> {
  const validate = (value: unknown): z.output<S> => {
    const result = schema.safeParse(value);
    if (!result.success) throw invalidRequest(result.error, value, schema);
    return result.data;
  };
  return (c) => {
    if (MULTIPART_TYPE.test(requestHeader(c, "content-type") ?? "")) {
      throw new ApiError(415, "This endpoint takes a JSON body, not multipart/form-data.", {
        code: "unsupported_media_type",
      });
    }
    const encodings = contentEncodings(requestHeader(c, "content-encoding"));
    const decode = (bytes: Uint8Array) => (encodings ? decodeBody(bytes, encodings, maxSize) : bytes);
    const incoming = declaredLengthRequest(c);
    if (incoming) {
      // Judged before reading, also where bodyLimits did not run first.
      if (Number(incoming.headers["content-length"]) > maxSize) throw payloadTooLarge(maxSize);
      return readBody(incoming).then((bytes) => validate(parseJson(decode(bytes), maxSize)));
    }
    return c.req.arrayBuffer().then((buffer) => validate(parseJson(decode(new Uint8Array(buffer)), maxSize)));
  };
}
/**
 * The Node request under `@hono/node-server` when its body has a declared `Content-Length` (no
 * `Transfer-Encoding`): {@link bodyLimits} has judged its size from the header, and Node's parser
 * delivers no more than declared, so it can be read straight from the stream. Reading it
 * through the fetch `Request` instead copies it into a fresh `ArrayBuffer`, which measured ~5 µs
 * of server CPU per request. Chunked bodies, and other runtimes, return `undefined`.
 */
function declaredLengthRequest(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (
    !(incoming instanceof IncomingMessage) ||
    incoming.readableDidRead ||
    incoming.readableEncoding !== null
  ) {
    return undefined;
  }
  const headers = incoming.headers;
  return headers["content-length"] !== undefined && headers["transfer-encoding"] === undefined
    ? incoming
    : undefined;
}

const clientGone = () =>
  new DOMException("The client closed the connection before its request body arrived.", "AbortError");

/**
 * A Node request's body, as the chunks arrive (one chunk: no copy). Rejects with an
 * `AbortError` when the client closes the connection before the body ends (Node reports that as
 * an `ECONNRESET` "aborted" error, or only closes the stream), else with the stream's error.
 */
function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (incoming.destroyed) {
      reject(clientGone());
      return;
    }
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (error: Error & { code?: string }) => {
      cleanup();
      reject(error.code === "ECONNRESET" ? clientGone() : error);
    };
    const onClose = () => {
      cleanup();
      reject(clientGone());
    };
    const cleanup = () => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    };
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

function parseJson(bytes: Uint8Array, maxSize: number): unknown {
  if (bytes.length > maxSize) throw payloadTooLarge(maxSize);
  if (!isUtf8(bytes)) {
    throw new ApiError(400, "The request body is not valid UTF-8.", { code: "invalid_encoding" });
  }
  if (jsonDeeperThan(bytes)) {
    throw new ApiError(
      400,
      `The JSON body of your request is nested too deeply: at most ${MAX_JSON_DEPTH} arrays and objects inside each other.`,
      { code: "invalid_json" },
    );
  }
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"));
  } catch {
    throw new ApiError(400, "We could not parse the JSON body of your request.", { code: "invalid_json" });
  }
}
