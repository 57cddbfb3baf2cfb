import type { SearchResult, VectorStore } from "@deeprecall/core";
import { generateText, type LanguageModel } from "ai";

export interface SinglePassRagOptions {
  store: VectorStore;
  model: LanguageModel;
  query: string;
  /** Hits retrieved and shown to the model. */
  topK: number;
  /** Output-token cap of the one model call. Default 256 (an answer from given passages is short). */
  maxOutputTokens?: number;
  /** Whole-run time limit in seconds (search + model call); unset = none. */
  maxTimeSeconds?: number;
  /** Characters of each hit shown to the model. Default 1500. */
  maxCharsPerHit?: number;
}

export interface SinglePassRagResult {
  answer: string;
  sources: SearchResult[];
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Wall time of search + model call, in milliseconds. */
  timeMs: number;
}

/** The instructions of the single-pass baseline. */
export const RAG_INSTRUCTIONS =
  "Answer the question using only the numbered sources. Be brief and cite sources as [n]. " +
  "If the sources do not contain the answer, say that they do not.";

/** The user message: numbered hits (file name when known, then text), then the question. */
export function ragPrompt(query: string, hits: SearchResult[], maxCharsPerHit = 1500): string {
  const blocks = hits.map((hit, i) => {
    const name = typeof hit.metadata.filename === "string" ? hit.metadata.filename : hit.id;
    const text =
      hit.content.length > maxCharsPerHit ? `${hit.content.slice(0, maxCharsPerHit)}…` : hit.content;
    return `[${i + 1}] ${name}\n${text}`;
  });
  return `Sources:\n\n${blocks.length > 0 ? blocks.join("\n\n") : "(no hits)"}\n\nQuestion: ${query}`;
}

/**
 * Single-pass RAG, the baseline `deeprecall benchmark` reports next to the recursive engine:
 * one top-k search for the question, then one model call that answers from those hits.
 * Throws what the store or the model throws (an `AbortError`-like error when `maxTimeSeconds` runs out).
 */
export async function singlePassRag(options: SinglePassRagOptions): Promise<SinglePassRagResult> {
  const started = performance.now();
  const signal =
    options.maxTimeSeconds !== undefined
      ? AbortSignal.timeout(Math.round(options.maxTimeSeconds * 1000))
      : undefined;
  const sources = await options.store.search(options.query, {
    topK: options.topK,
    ...(signal ? { signal } : {}),
  });
  const result = await generateText({
    model: options.model,
    system: RAG_INSTRUCTIONS,
    prompt: ragPrompt(options.query, sources, options.maxCharsPerHit),
    maxOutputTokens: options.maxOutputTokens ?? 256,
    maxRetries: 1,
    ...(signal ? { abortSignal: signal } : {}),
  });
  const inputTokens = result.usage.inputTokens ?? 0;
  const outputTokens = result.usage.outputTokens ?? 0;
  return {
    answer: result.text,
    sources,
    inputTokens,
    outputTokens,
    totalTokens: result.usage.totalTokens ?? inputTokens + outputTokens,
    timeMs: Math.round(performance.now() - started),
  };
}

/**
 * Keyword hit rate of an answer: the fraction of expected keywords it contains (case-insensitive,
 * whitespace-normalised). `null` when nothing is expected.
 */
export function keywordHit(answer: string, expected: string[] | undefined): number | null {
  if (!expected || expected.length === 0) return null;
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, " ").trim();
  const text = norm(answer);
  return expected.filter((k) => text.includes(norm(k))).length / expected.length;
}
