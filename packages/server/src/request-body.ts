/**
 * Request bodies: the size limits every request meets, and the JSON body of an API route read,
 * checked (UTF-8, JSON) and validated against the route's zod schema in one step.
 */
import { isUtf8 } from "node:buffer";
import { IncomingMessage } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { requestHeader } from "@deeprecall/middleware";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { ApiError, payloadTooLarge } from "./errors.ts";

/** Zod issue path → OpenAI `param`, e.g. ["messages", 0, "content"] → "messages[0].content". */
export function paramFromPath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || null;
}

/**
 * The 400 for a request that failed its schema, in OpenAI's wording and codes for the first
 * issue (as its API answers them): `missing_required_parameter` ("Missing required parameter:
 * 'messages'."), `invalid_type` ("Invalid type for 'temperature': expected a decimal, but got a
 * string instead."), `decimal_above_max_value` / `integer_below_min_value` and the like for
 * numbers out of range, `string_above_max_length` / `array_above_max_length` (and `_below_min_`)
 * for lengths, `invalid_value` for a value outside an enum ("Invalid value: 'x'. Supported values
 * are: 'a' and 'b'.") and for anything else. `param` names the field ("messages[0].content").
 * `input` is the request body the schema saw (for the value that failed; without it the
 * messages say less).
 */
export function invalidRequest(error: z.ZodError, input?: unknown, schema?: z.ZodType): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, "Invalid request", { code: "invalid_value" });
  const param = paramFromPath(issue.path);
  const name = param ?? "body";
  const value = valueAt(input, issue.path);
  const fail = (message: string, code: string) => new ApiError(400, message, { param, code });
  switch (issue.code) {
    case "invalid_type": {
      const missing = input === undefined ? /received undefined$/.test(issue.message) : value === undefined;
      if (missing) return fail(`Missing required parameter: '${name}'.`, "missing_required_parameter");
      const got = input === undefined ? "another type" : kindOf(value);
      return fail(
        `Invalid type for '${name}': expected ${expectedKind(issue.expected)}, but got ${got} instead.`,
        "invalid_type",
      );
    }
    case "too_big":
    case "too_small": {
      const above = issue.code === "too_big";
      const bound = Number(above ? issue.maximum : issue.minimum);
      const op = `${above ? "<" : ">"}${issue.inclusive ? "=" : ""}`;
      const side = above ? "above_max" : "below_min";
      if (issue.origin === "string" || issue.origin === "array") {
        const kind = issue.origin;
        const length =
          typeof value === "string" || Array.isArray(value) ? ` with length ${value.length}` : "";
        return fail(
          `Invalid '${name}': ${kind} too ${above ? "long" : "short"}. Expected ${article(kind)} with ${above ? "maximum" : "minimum"} length ${bound}, but got ${article(kind)}${length} instead.`,
          `${kind}_${side}_length`,
        );
      }
      if (issue.origin === "number" || issue.origin === "int") {
        const field = schemaAt(schema, issue.path) as { isInt?: boolean } | undefined;
        const isInt = field ? field.isInt === true : Number.isInteger(value);
        const kind = isInt ? "integer" : "decimal";
        const got = typeof value === "number" ? `, but got ${value} instead` : "";
        return fail(
          `Invalid '${name}': ${kind} ${above ? "above maximum" : "below minimum"} value. Expected a value ${op} ${bound}${got}.`,
          `${kind}_${side}_value`,
        );
      }
      break;
    }
    case "invalid_value": {
      const options = issue.values.map((v) => `'${String(v)}'`);
      const list =
        options.length > 1
          ? `${options.slice(0, -1).join(", ")}${options.length > 2 ? "," : ""} and ${options.at(-1)}`
          : (options[0] ?? "");
      const shown =
        typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? `'${String(value).slice(0, 100)}'`
          : kindOf(value);
      return fail(`Invalid value: ${shown}. Supported values are: ${list}.`, "invalid_value");
    }
  }
  const message = param
    ? `Invalid value for '${param}': ${issue.message}`
    : `Invalid request: ${issue.message}`;
  return fail(message, "invalid_value");
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"]);

/**
 * The schema of the field at `path` inside objects and arrays (optional/nullable wrappers
 * removed), read from zod's definitions (`_zod.def`); undefined past anything else (a union).
 */
function schemaAt(schema: z.ZodType | undefined, path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  type Def = {
    type: string;
    innerType?: z.ZodType;
    shape?: Record<PropertyKey, z.ZodType>;
    element?: z.ZodType;
  };
  const def = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: z.ZodType | undefined) => {
    while (s && WRAPPERS.has(def(s).type)) s = def(s).innerType;
    return s;
  };
  let at = unwrap(schema);
  for (const key of path) {
    if (!at) return undefined;
    const d = def(at);
    at = unwrap(d.type === "object" ? d.shape?.[key] : d.type === "array" ? d.element : undefined);
  }
  return at;
}

/** The value at a zod issue's path in `input` (undefined when it is not there). */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let at = input;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** A JSON value's kind as OpenAI's messages name it: "a string", "an integer", "a decimal", … */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "object") return "an object";
  return article(typeof value);
}

/** A zod `expected` type in OpenAI's words ("number" is "a decimal", "int" "an integer"). */
function expectedKind(expected: string): string {
  if (expected === "number") return "a decimal";
  if (expected === "int") return "an integer";
  return article(expected);
}

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
 * `invalid_encoding`: never stored as U+FFFD), malformed or empty JSON (400 `invalid_json`) and
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

type Decoder = (bytes: Uint8Array, options: { maxOutputLength: number }) => Buffer;

/** The request `Content-Encoding`s a JSON body may come in (RFC 9110 §8.4.1). */
const DECODERS: Record<string, Decoder> = {
  gzip: gunzipSync,
  "x-gzip": gunzipSync,
  br: brotliDecompressSync,
  // "deflate" is the zlib format; some clients send raw deflate under that name.
  deflate: (bytes, options) => {
    try {
      return inflateSync(bytes, options);
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw error;
      return inflateRawSync(bytes, options);
    }
  },
};

/**
 * The codings of a `Content-Encoding` header in the order they were applied ("identity"
 * dropped), or undefined when there are none.
 *
 * @throws ApiError 415 `unsupported_content_encoding` for a coding this server cannot undo
 * (RFC 7694: 415 for an unsupported request content coding).
 */
function contentEncodings(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const codings = header
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return undefined;
  const unknown = codings.find((c) => !(c in DECODERS));
  if (unknown !== undefined) {
    throw new ApiError(
      415,
      `Content-Encoding '${unknown.slice(0, 40)}' is not supported: send the body uncompressed, or as gzip, deflate or br.`,
      { code: "unsupported_content_encoding" },
    );
  }
  return codings;
}

/**
 * A compressed body undone, the last coding first, never more than `maxSize` bytes decoded (a
 * small body that inflates past the limit is a 413 like a large one).
 *
 * @throws ApiError 413 `request_too_large`; 400 `invalid_encoding` when the data is corrupt.
 */
function decodeBody(bytes: Uint8Array, codings: string[], maxSize: number): Uint8Array {
  let out = bytes;
  for (let i = codings.length - 1; i >= 0; i--) {
    try {
      out = DECODERS[codings[i]!]!(out, { maxOutputLength: maxSize });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw payloadTooLarge(maxSize);
      throw new ApiError(400, `The request body is not valid ${codings[i]} data.`, {
        code: "invalid_encoding",
      });
    }
  }
  return out;
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
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"));
  } catch {
    throw new ApiError(400, "We could not parse the JSON body of your request.", { code: "invalid_json" });
  }
}
