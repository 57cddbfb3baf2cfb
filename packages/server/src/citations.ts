/**
 * Sources as OpenAI `url_citation` annotations, the field chat UIs (Open WebUI, LibreChat) read
 * citations from. The model cites short handles — [1], [2] — that the prompts give the passages
 * (see `@deeprecall/core`'s prompts): handle n is the n-th distinct source of the run in the
 * order it was first found (the grounding search comes first), which the run's trace records.
 * A source cited by its id in brackets ([doc-12]) is mapped too.
 */
import type { DeepRecallResult, SearchResult } from "@deeprecall/core";

export interface UrlCitation {
  type: "url_citation";
  url_citation: { url: string; title: string; start_index: number; end_index: number };
}

/** The run's sources in handle order: [1] is the first, [2] the second, … */
export function sourcesByHandle(result: DeepRecallResult): SearchResult[] {
  const byId = new Map((result.sources ?? []).map((s) => [s.id, s]));
  const order: SearchResult[] = [];
  const seen = new Set<string>();
  const add = (id: string) => {
    const source = byId.get(id);
    if (!source || seen.has(id)) return;
    seen.add(id);
    order.push(source);
  };
  for (const step of result.reasoningTrace ?? [])
    for (const search of step.searches ?? []) search.ids?.forEach(add);
  for (const source of result.sources ?? []) add(source.id);
  return order;
}

const HTTP_URL = /^https?:\/\/[^\s]+$/i;

/** The name a person knows the source by: its metadata title, source, path or URL, else its id. */
export function sourceTitle(source: SearchResult): string {
  const m = source.metadata ?? {};
  for (const key of ["title", "source", "path", "url", "file", "filename"]) {
    const value = m[key];
    if (typeof value === "string" && value.trim()) return value.trim();
  }
  return source.id;
}

/**
 * The source's own http(s) URL (metadata `url`), else its document in this server (in
 * `collection` when the answer came from a collection other than the default one): the web
 * console's document view (`<base>/#/documents/<id>`) when the server serves the console — a
 * page a person can open, which asks for the API key itself — else the API's
 * `<base>/v1/documents/<id>`.
 */
export function sourceUrl(
  source: SearchResult,
  baseUrl: string,
  collection?: string,
  inConsole = false,
): string {
  const url = source.metadata?.url;
  if (typeof url === "string" && HTTP_URL.test(url.trim())) return url.trim();
  const query = collection === undefined ? "" : `?collection=${encodeURIComponent(collection)}`;
  const base = baseUrl.endsWith("/") ? baseUrl.replace(/\/+$/, "") : baseUrl;
  const id = encodeURIComponent(source.id);
  return inConsole ? `${base}/#/documents/${id}${query}` : `${base}/v1/documents/${id}${query}`;
}

// [1], [12], [1, 2], [1][3] (each bracket on its own), and [id] for an id of the run's sources.
const BRACKET = /\[([^[\]\n]{1,200})\]/g;

/**
 * One `url_citation` per place the answer cites a source — a handle [n] or a bracketed id —
 * with `start_index`/`end_index` spanning that citation in the answer (UTF-16 offsets, end
 * exclusive, as JavaScript and OpenAI's SDKs slice strings), then one for every source the
 * answer does not cite, at the end of the answer (start = end = its length), so a UI can list
 * every source the answer drew on.
 */
export function citationAnnotations(
  answer: string,
  result: DeepRecallResult | undefined,
  baseUrl: string,
  collection?: string,
  inConsole = false,
): UrlCitation[] {
  if (!result) return [];
  const handles = sourcesByHandle(result);
  if (handles.length === 0) return [];
  const byId = new Map(handles.map((s) => [s.id, s]));
  const out: UrlCitation[] = [];
  const cited = new Set<string>();
  const cite = (source: SearchResult, start: number, end: number) => {
    cited.add(source.id);
    out.push({
      type: "url_citation",
      url_citation: {
        url: sourceUrl(source, baseUrl, collection, inConsole),
        title: sourceTitle(source),
        start_index: start,
        end_index: end,
      },
    });
  };
  // Most answers cite nothing in brackets: no regex walk for them.
  const matches = answer.includes("[") ? answer.matchAll(BRACKET) : [];
  for (const match of matches) {
    const inner = match[1]!;
    const start = match.index;
    const whole = byId.get(
      inner
        .trim()
        .replace(/^id\s*[=:]\s*/i, "")
        .replace(/^["']|["']$/g, ""),
    );
    if (whole) {
      cite(whole, start, start + match[0].length);
      continue;
    }
    // "[1, 2]" / "[1,3]" / "[sources: 1, 2]": each number of a list cites its own source.
    const list = inner.replace(/^\s*(sources?|refs?)\s*:\s*/i, "");
    const parts = list.split(/\s*[,;]\s*/);
    if (parts.length === 0 || !parts.every((p) => /^\d{1,4}$/.test(p) || byId.has(p))) continue;
    for (const part of parts) {
      const source = /^\d{1,4}$/.test(part) ? handles[Number(part) - 1] : byId.get(part);
      if (source) cite(source, start, start + match[0].length);
    }
  }
  for (const source of handles) {
    if (!cited.has(source.id)) cite(source, answer.length, answer.length);
  }
  return out;
}

/** Where an answer's citation links point. */
export interface CitationLinks {
  /** The server's base URL, e.g. "https://rag.example.com" (no trailing slash). */
  baseUrl: string;
  /** The collection the answer came from; undefined for the default one. */
  collection: string | undefined;
  /** The server serves the web console: link to its document view. */
  inConsole: boolean;
}

/**
 * The links for one request: the configured public URL (`publicUrl`, no trailing slash), else
 * the origin of `requestUrl` (the URL the client called, e.g. "http://host:8000/v1/...").
 */
export function citationLinks(
  publicUrl: string | undefined,
  requestUrl: string,
  collection: string | undefined,
  inConsole: boolean,
): CitationLinks {
  let baseUrl = publicUrl;
  if (!baseUrl) {
    const end = requestUrl.indexOf("/", requestUrl.indexOf("//") + 2);
    baseUrl = end === -1 ? requestUrl : requestUrl.slice(0, end);
  }
  return { baseUrl, collection, inConsole };
}

/**
 * The citations of an answer (`text`) that `result` produced. A shaped answer (JSON) is not
 * prose: its brackets are JSON arrays, not citations, so its sources come without positions
 * (start = end = 0).
 */
export function answerCitations(
  text: string | null,
  result: DeepRecallResult | undefined,
  shaped: boolean,
  links: CitationLinks,
): UrlCitation[] {
  const annotations = citationAnnotations(
    shaped ? "" : (text ?? ""),
    result,
    links.baseUrl,
    links.collection,
    links.inConsole,
  );
  if (!shaped) return annotations;
  return annotations.map((a) => ({
    ...a,
    url_citation: { ...a.url_citation, start_index: 0, end_index: 0 },
  }));
}

/** A chat `url_citation` annotation in the Responses API's flat form (`output_text.annotations`). */
export function responseCitation(annotation: UrlCitation) {
  return { type: "url_citation" as const, ...annotation.url_citation };
}
