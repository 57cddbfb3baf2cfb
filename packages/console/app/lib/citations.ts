import type { Source, UrlCitation } from "./api-types.ts";
import { documentHref } from "./routes.ts";

/** Where a citation link goes: a route inside the console, or a page elsewhere (`external`). */
export interface CitationTarget {
  href: string;
  external: boolean;
}

/**
 * The link for a citation URL the server gave. Document URLs of a DeepRecall server
 * (`…/v1/documents/<id>[?collection=<c>]`, or the console's `…/#/documents/…`) open the
 * console's document view — whatever their origin, since behind a proxy the server's public URL
 * (`--public-url`) is not the origin the console sees; other http(s) URLs (a source's own
 * `metadata.url`) open as they are. Anything else (`javascript:`, `data:` …) gets no link:
 * document text is untrusted.
 */
export function citationTarget(url: string, origin: string): CitationTarget | null {
  let parsed: URL;
  try {
    parsed = new URL(url, origin);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  const api = parsed.pathname.match(/\/v1\/documents\/([^/]+)$/);
  if (api) {
    const collection = parsed.searchParams.get("collection") ?? undefined;
    return { href: documentHref(safeDecode(api[1]!), collection), external: false };
  }
  if (parsed.hash.startsWith("#/documents/")) return { href: parsed.hash, external: false };
  return { href: parsed.href, external: true };
}

/**
 * The answer's markdown with every cited span (`[1]`, `[1, 2]`, `[doc-id]`, as the server's
 * `url_citation` annotations locate them) made a markdown link to its source. A span cited by
 * several annotations (`[1, 2]`) links each of its numbers to its own source. Annotations at
 * the end of the answer (start = end: sources the answer does not cite) and any whose span is
 * not a bracketed citation in this text (a stale index) are left out.
 */
export function linkCitations(answer: string, annotations: UrlCitation[], origin: string): string {
  const spans = new Map<
    string,
    { start: number; end: number; targets: Array<{ t: CitationTarget; title: string }> }
  >();
  for (const a of annotations) {
    if (a?.type !== "url_citation" || !a.url_citation) continue;
    const { start_index: start, end_index: end, url, title } = a.url_citation;
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > answer.length ||
      end <= start
    )
      continue;
    const text = answer.slice(start, end);
    if (!/^\[[^[\]\n]+\]$/.test(text)) continue;
    const target = citationTarget(url, origin);
    if (!target) continue;
    const key = `${start}:${end}`;
    const span = spans.get(key) ?? { start, end, targets: [] };
    span.targets.push({ t: target, title });
    spans.set(key, span);
  }
  const ordered = [...spans.values()].sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const span of ordered) {
    if (span.start < at) continue; // overlapping spans: keep the first
    out += answer.slice(at, span.start);
    const inner = answer.slice(span.start + 1, span.end - 1);
    const parts = inner.split(/(\s*[,;]\s*)/);
    const labels = parts.filter((_, i) => i % 2 === 0);
    if (span.targets.length > 1 && labels.length === span.targets.length) {
      let k = 0;
      out += `\\[${parts.map((p, i) => (i % 2 === 1 ? p : mdLink(p, span.targets[k++]!))).join("")}\\]`;
    } else {
      out += mdLink(`[${inner}]`, span.targets[0]!);
    }
    at = span.end;
  }
  return out + answer.slice(at);
}

function mdLink(label: string, target: { t: CitationTarget; title: string }): string {
  const text = label.replace(/[\\[\]*_`<>]/g, (c) => `\\${c}`);
  const href = target.t.href.replace(/[\s<>]/g, (c) => encodeURIComponent(c));
  const title = target.title
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(/\s+/g, " ")
    .slice(0, 200);
  return `[${text}](<${href}> "${title}")`;
}

/** A run's search history: the ids each search returned, in the order the searches ran. */
export type SearchHistory = Array<{ ids: string[] }>;

/**
 * The answer's sources in handle order — [1] is the first, [2] the second — as the server
 * numbers them: each distinct source in the order the run first found it (the grounding search
 * first), then any source no search listed.
 */
export function sourcesByHandle(sources: Source[], searches: SearchHistory): Source[] {
  const byId = new Map(sources.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const out: Source[] = [];
  const add = (id: string) => {
    const source = byId.get(id);
    if (!source || seen.has(id)) return;
    seen.add(id);
    out.push(source);
  };
  for (const search of searches) for (const id of search.ids) add(id);
  for (const source of sources) add(source.id);
  return out;
}

/** The name a person knows a source by: its metadata title, source, path or URL, else its id. */
export function sourceTitle(source: { id: string; metadata?: Record<string, unknown> }): string {
  const m = source.metadata ?? {};
  for (const key of ["title", "source", "path", "url", "file", "filename"]) {
    const value = m[key];
    if (typeof value === "string" && value.trim()) return value.trim();
  }
  return source.id;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
