import { useEffect, useState } from "preact/hooks";
import { apiJson, messageOf } from "../lib/api.ts";
import type { UsageReportJson } from "../lib/api-types.ts";
import { formatUsd, queryOutcome, unfinishedNote } from "../lib/budget.ts";
import { formatInt, formatMs, preview } from "../lib/format.ts";

const OUTCOME_CLASS = { ok: "ok-text", limit: "muted", failed: "warn-text" } as const;

/**
 * Usage since the server started (`GET /v1/usage`): queries, tokens, searches, model calls,
 * cost and time, per model, and the recent queries with their time, tokens, cost and error.
 */
export function UsageScreen() {
  const [report, setReport] = useState<UsageReportJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = () => {
    setLoading(true);
    apiJson<UsageReportJson>("v1/usage")
      .then((r) => {
        setReport(r);
        setError(null);
      })
      .catch((e) => setError(messageOf(e)))
      .finally(() => setLoading(false));
  };
  useEffect(load, []);

  const u = report?.usage;
  // Without a pricing table the server reports a cost of 0: say "not priced" rather than "$0".
  const priced =
    !!u &&
    (Object.values(u.by_model).some((m) => m.cost_usd !== undefined) ||
      (u.recent_queries ?? []).some((r) => r.cost_usd !== null));
  const withModel = (u?.recent_queries ?? []).some((r) => typeof r.model === "string");
  return (
    <div class="page">
      <div class="page-head">
        <h1>Usage</h1>
        <button type="button" class="btn" onClick={load} disabled={loading}>
          {loading ? "Loading…" : "Refresh"}
        </button>
      </div>
      {error ? (
        <p class="error-text" role="alert">
          {error}
        </p>
      ) : null}
      {report && !u ? <p class="muted">{report.message ?? "This server keeps no usage figures."}</p> : null}
      {u ? (
        <>
          <p class="muted small">Since {new Date(u.since).toLocaleString()}</p>
          <dl class="stats">
            <Stat label="Queries" value={formatInt(u.total_queries)} note={unfinishedNote(u)} />
            <Stat
              label="Tokens"
              value={formatInt(u.total_tokens)}
              note={`${formatInt(u.prompt_tokens)} prompt · ${formatInt(u.completion_tokens)} completion`}
            />
            <Stat label="Searches" value={formatInt(u.search_calls)} />
            <Stat label="Model calls" value={formatInt(u.llm_calls)} />
            <Stat
              label="Cost"
              value={priced ? formatUsd(u.total_cost_usd) : "—"}
              note={priced ? undefined : "no pricing configured"}
            />
            <Stat label="Average time" value={formatMs(u.average_time_ms)} />
          </dl>
          {Object.keys(u.by_model).length > 0 ? (
            <section aria-labelledby="by-model-title">
              <h2 id="by-model-title">By model</h2>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Model</th>
                      <th scope="col" class="num">
                        Calls
                      </th>
                      <th scope="col" class="num">
                        Prompt tokens
                      </th>
                      <th scope="col" class="num">
                        Completion tokens
                      </th>
                      <th scope="col" class="num">
                        Cost
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(u.by_model).map(([model, m]) => (
                      <tr key={model}>
                        <td>
                          <code>{model}</code>
                        </td>
                        <td class="num">{formatInt(m.calls ?? 0)}</td>
                        <td class="num">{formatInt(m.prompt_tokens ?? 0)}</td>
                        <td class="num">{formatInt(m.completion_tokens ?? 0)}</td>
                        <td class="num">{m.cost_usd !== undefined ? formatUsd(m.cost_usd) : "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ) : null}
          <section aria-labelledby="recent-title">
            <h2 id="recent-title">Recent queries</h2>
            {u.recent_queries && u.recent_queries.length > 0 ? (
              <div class="table-scroll">
                <table class="recent">
                  <thead>
                    <tr>
                      <th scope="col">Query</th>
                      {withModel ? <th scope="col">Model</th> : null}
                      <th scope="col">Started</th>
                      <th scope="col" class="num">
                        Time
                      </th>
                      <th scope="col" class="num">
                        Tokens
                      </th>
                      <th scope="col" class="num">
                        Cost
                      </th>
                      <th scope="col">Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {u.recent_queries.map((r, i) => (
                      <tr key={i}>
                        <td class="cell-query" title={r.query}>
                          {preview(r.query, 120)}
                        </td>
                        {withModel ? <td>{r.model ? <code>{r.model}</code> : "—"}</td> : null}
                        <td>
                          <time dateTime={r.started_at}>{new Date(r.started_at).toLocaleString()}</time>
                        </td>
                        <td class="num">{formatMs(r.time_ms)}</td>
                        <td class="num">{formatInt(r.total_tokens)}</td>
                        <td class="num">{r.cost_usd === null ? "—" : formatUsd(r.cost_usd)}</td>
                        <td>
                          <span
                            class={OUTCOME_CLASS[queryOutcome(r.error).kind]}
                            title={r.error ?? undefined}
                          >
                            {queryOutcome(r.error).text}
                          </span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <p class="muted">No queries yet.</p>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}

function Stat({ label, value, note }: { label: string; value: string; note?: string | undefined }) {
  return (
    <div class="stat">
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{value}</span>
        {note ? <span class="muted small">{note}</span> : null}
      </dd>
    </div>
  );
}
