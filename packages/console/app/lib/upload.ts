import { errorFromBody } from "./api.ts";
import { getKey, KeyRequestCancelled, noteUnauthorized, requestKey } from "./auth.ts";

/** Bytes sent so far of the whole multipart body, and its total (0 until the browser knows it). */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * POSTs `files` to `v1/documents/upload` (relative to the page, so a path prefix is kept) as multipart form data (`files` parts, plus
 * `collection` when given) with XMLHttpRequest — `fetch` reports no upload progress — calling
 * `onProgress` as bytes go out. Resolves with the parsed JSON body of a 2xx; rejects with an
 * ApiError carrying the server's message otherwise. A 401 asks for a key and sends again.
 */
export async function uploadFiles<T>(
  files: File[],
  collection: string | undefined,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (;;) {
    const sent = getKey();
    const { status, text } = await send(files, collection, onProgress, signal);
    if (status >= 200 && status < 300) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw errorFromBody(status, text);
      }
    }
    const error = errorFromBody(status, text);
    if (status !== 401) throw error;
    noteUnauthorized(sent);
    try {
      await requestKey(error.message);
    } catch (e) {
      throw e instanceof KeyRequestCancelled ? error : e;
    }
  }
}

function send(
  files: File[],
  collection: string | undefined,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    if (collection) form.append("collection", collection);
    for (const file of files) form.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "v1/documents/upload");
    const key = getKey();
    if (key) xhr.setRequestHeader("authorization", `Bearer ${key}`);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    xhr.onerror = () => reject(new Error("The upload failed: the server could not be reached."));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
