/** Small HTTP helpers over the global fetch (a real client on a real port). */

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function postJson<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

export const chatBody = (question: string, extra: Record<string, unknown> = {}) => ({
  model: "deeprecall",
  messages: [{ role: "user", content: question }],
  ...extra,
});

export interface SseResult {
  status: number;
  /** Parsed JSON `data:` events (the `[DONE]` sentinel excluded). */
  events: Array<Record<string, unknown>>;
  done: boolean;
  comments: number;
}

/** Reads a whole SSE response: JSON events, whether `[DONE]` came, keep-alive comments. */
export async function readSse(res: Response): Promise<SseResult> {
  const text = await res.text();
  const events: Array<Record<string, unknown>> = [];
  let done = false;
  let comments = 0;
  for (const block of text.split("\n\n")) {
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments++;
      if (!line.startsWith("data: ")) continue;
      const data = line.slice(6);
      if (data === "[DONE]") done = true;
      else events.push(JSON.parse(data) as Record<string, unknown>);
    }
  }
  return { status: res.status, events, done, comments };
}

/** The answer text assembled from streamed `delta.content`. */
export function streamedAnswer(events: Array<Record<string, unknown>>): string {
  return events
    .map((e) => (e.choices as Array<{ delta?: { content?: string } }> | undefined)?.[0]?.delta?.content ?? "")
    .join("");
}
