import { formatBytes } from "@deeprecall/core/format-bytes";
import type { ErrorBody } from "./api-types.ts";
import { getKey, KeyRequestCancelled, noteUnauthorized, requestKey } from "./auth.ts";

/** A failed API call: the HTTP status and the server's OpenAI-style error `message`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  constructor(status: number, message: string, code: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The error a failed response carries: its `{ error: { message } }`, else its status text. */
export async function errorOf(res: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // body unreadable: fall back to the status
  }
  return errorFromBody(res.status, text, res.statusText);
}

/** The ApiError for a status and raw body text (also used for XMLHttpRequest). */
export function errorFromBody(status: number, text: string, statusText = ""): ApiError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error && typeof body.error.message === "string") {
      const message = status === 413 ? tooLargeMessage(body.error.message) : body.error.message;
      return new ApiError(status, message, body.error.code ?? null);
    }
  } catch {
    // not JSON
  }
  const fallback = text.trim().slice(0, 300) || statusText || "request failed";
  return new ApiError(status, `HTTP ${status}: ${fallback}`);
}

/**
 * The server's 413 ("… the limit is 52428800 bytes …") as a person would say it: the limit in
 * MiB, and what to do about it.
 */
export function tooLargeMessage(serverMessage: string): string {
  const limit = /limit is (\d+) bytes/.exec(serverMessage)?.[1];
  const most = limit
    ? ` It accepts at most ${formatBytes(Number(limit))} in one request`
    : " It has a size limit per request";
  return `Too large for this server.${most} (all the files of an upload together): send fewer or smaller files at a time.`;
}

/** `fetch` options with plain-object headers (the key is added to them). */
export type ApiInit = Omit<RequestInit, "headers"> & { headers?: Record<string, string> };

/** Request headers with the Bearer key when one is set. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/**
 * `fetch` of a same-origin API path with the key; on a 401 asks for a key (showing the
 * server's message) and tries again, until a key works or the person cancels (then the 401 is
 * thrown as an ApiError). Other failures are returned as responses.
 */
export async function apiFetch(path: string, init: ApiInit = {}): Promise<Response> {
  for (;;) {
    const sent = getKey();
    const res = await fetch(path, { ...init, headers: authHeaders(init.headers) });
    if (res.status !== 401) return res;
    noteUnauthorized(sent);
    const error = await errorOf(res);
    try {
      await requestKey(error.message);
    } catch (e) {
      if (e instanceof KeyRequestCancelled) throw error;
      throw e;
    }
  }
}

/** `apiFetch` for JSON: the parsed body of a 2xx, else the server's error as an ApiError. */
export async function apiJson<T>(path: string, init: ApiInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const res = await apiFetch(
    path,
    json === undefined
      ? rest
      : {
          ...rest,
          body: JSON.stringify(json),
          headers: { "content-type": "application/json", ...rest.headers },
        },
  );
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** A message for any failure: the server's own message, or what went wrong on the way. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) {
    if (error.name === "TypeError") return `Could not reach the server (${error.message}).`;
    return error.message;
  }
  return String(error);
}
