/**
 * Request `Content-Encoding`: which codings a JSON body may come in, and undoing them within the
 * body limit.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { ApiError, payloadTooLarge } from "./errors.ts";

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
export function contentEncodings(header: string | undefined): string[] | undefined {
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
export function decodeBody(bytes: Uint8Array, codings: string[], maxSize: number): Uint8Array {
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
