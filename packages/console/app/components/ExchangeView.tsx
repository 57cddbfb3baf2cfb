import { describeLimit, endingLimit, formatUsd } from "../lib/budget.ts";
import type { Exchange } from "../lib/exchange.ts";
import { formatInt, formatMs } from "../lib/format.ts";
import { Answer } from "./Answer.tsx";
import { CopySnippets } from "./CopySnippets.tsx";
import { SourcesList } from "./SourcesList.tsx";

const STATUS_LABEL: Record<Exchange["status"], string> = {
  streaming: "working…",
  done: "answered",
  stopped: "stopped",
  error: "failed",
};

/**
 * One question and its answer: the answer streams in as markdown, then its sources; below, what
 * it cost and the request as curl / OpenAI SDK code, and a button showing its trace.
 */
export function ExchangeView({
  exchange: ex,
  traceShown,
  onShowTrace,
}: {
  exchange: Exchange;
  traceShown: boolean;
  onShowTrace: () => void;
}) {
  const streaming = ex.status === "streaming";
  const ext = ex.extension;
  const meta: string[] = [];
  if (ext) meta.push(formatMs(ext.execution_time_ms));
  if (ex.usage) meta.push(`${formatInt(ex.usage.total_tokens)} tokens`);
  if (ext?.cost_usd != null) meta.push(formatUsd(ext.cost_usd));
  if (ext?.cached) meta.push("from cache");
  const limit = ex.status === "streaming" ? null : endingLimit(ext?.budget_status ?? null, ext?.error);
  if (ex.finishReason === "length" && !limit) meta.push("ended by a budget limit");
  return (
    <li class="exchange" aria-busy={streaming}>
      <div class="msg msg-user">
        <span class="who">You</span>
        <p class="question">{ex.question}</p>
      </div>
      <div class="msg msg-assistant">
        <div class="msg-head">
          <span class="who">DeepRecall</span>
          <span class={`badge badge-${ex.status}`}>{STATUS_LABEL[ex.status]}</span>
          <span class="muted small">{ex.settings.model}</span>
        </div>
        {streaming && ex.answer === "" ? (
          <p class="progress-line" role="status">
            <span class="spinner" aria-hidden="true" />
            {ex.progress || "Starting…"}
          </p>
        ) : null}
        <Answer exchange={ex} />
        {ex.status === "error" && ex.error ? (
          <p class="error-text" role="alert">
            {ex.error}
          </p>
        ) : null}
        {ex.status === "stopped" ? <p class="muted">Stopped before the answer was complete.</p> : null}
        {limit && ex.status === "done" ? (
          <p class="warn-text" role="note">
            Stopped by{" "}
            {describeLimit(limit, {
              ...ex.serverLimits,
              ...ex.settings.budget,
              ...ext?.budget_status?.limits,
            })}
            : best-effort answer from what was found.
          </p>
        ) : ext?.error && ex.status !== "error" ? (
          <p class="warn-text">{ext.error}</p>
        ) : null}
        {ext && ext.sources.length > 0 ? <SourcesList exchange={ex} /> : null}
        <div class="exchange-foot">
          <button type="button" class="btn btn-small" aria-pressed={traceShown} onClick={onShowTrace}>
            {traceShown ? "Trace shown" : "Show trace"}
          </button>
          <CopySnippets body={ex.request} />
          {meta.length > 0 ? <span class="muted small">{meta.join(" · ")}</span> : null}
        </div>
      </div>
    </li>
  );
}
