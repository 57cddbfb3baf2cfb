import type { BudgetLimits } from "./api-types.ts";

/** What the Ask form's options say about the next question. */
export interface AskSettings {
  /** `deeprecall` or `deeprecall/<collection>`. */
  model: string;
  strategy: "repl" | "tools";
  /** Hits per search; undefined = the server's default. */
  topK?: number;
  budget: BudgetLimits;
}

/** An earlier turn, sent as history with a follow-up question. */
export interface HistoryMessage {
  role: "user" | "assistant";
  content: string;
}

/**
 * The chat completion request the console sends: streamed, with usage, and the `deeprecall`
 * extension asking for the live trace plus the picked strategy, top_k and budget (only the
 * limits set are sent: the server's own limits apply to the rest).
 */
export function chatRequestBody(
  question: string,
  history: HistoryMessage[],
  settings: AskSettings,
): Record<string, unknown> {
  const budget = Object.fromEntries(
    Object.entries(settings.budget).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  );
  return {
    model: settings.model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      ...history.map((m) => ({ role: m.role, content: m.content })),
      { role: "user", content: question },
    ],
    deeprecall: {
      trace: true,
      strategy: settings.strategy,
      ...(settings.topK !== undefined ? { top_k: settings.topK } : {}),
      ...(Object.keys(budget).length > 0 ? { budget } : {}),
    },
  };
}

/** A number field's value: `{ value }` (undefined when empty) or `{ error }` saying what is wrong. */
export type FieldValue =
  | { value: number | undefined; error?: undefined }
  | { value?: undefined; error: string };

/**
 * Reads an optional numeric form field: empty is "not set"; otherwise a finite number above
 * `min` (or at least it with `allowMin`), a whole one when `integer`.
 */
export function parseNumberField(
  text: string,
  {
    integer = false,
    min = 0,
    allowMin = false,
    max,
  }: { integer?: boolean; min?: number; allowMin?: boolean; max?: number } = {},
): FieldValue {
  const t = text.trim();
  if (t === "") return { value: undefined };
  const n = Number(t);
  if (!Number.isFinite(n)) return { error: "must be a number" };
  if (integer && !Number.isInteger(n)) return { error: "must be a whole number" };
  if (allowMin ? n < min : n <= min)
    return { error: allowMin ? `must be at least ${min}` : `must be more than ${min}` };
  if (max !== undefined && n > max) return { error: `must be at most ${max}` };
  return { value: n };
}
