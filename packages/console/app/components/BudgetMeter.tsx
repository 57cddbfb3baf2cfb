import { describeLimit, endingLimit, meterRows, utilization } from "../lib/budget.ts";
import { type Exchange, runElapsedMs } from "../lib/exchange.ts";
import { useTick } from "../lib/tick.ts";
import { allSearches, loopIterations } from "../lib/trace.ts";

/**
 * What the run has used against its limits: one bar per limit (iterations, searches, tokens,
 * time, cost), plain figures for what has no limit, and the overall utilization. Between
 * completed turns the live counts (searches seen, time elapsed) move it on.
 */
export function BudgetMeter({ exchange: ex }: { exchange: Exchange }) {
  const t = ex.trace;
  const streaming = ex.status === "streaming";
  const now = useTick(streaming, 500);
  const rows = meterRows(
    t.budget,
    ex.settings.budget,
    {
      iterations: loopIterations(t).length,
      searchCalls: allSearches(t).length,
      tokens: t.tokens,
      elapsedSeconds: runElapsedMs(ex, now) / 1000,
      costUsd: ex.extension?.cost_usd ?? null,
    },
    ex.serverLimits,
  );
  const total = utilization(t.budget, rows);
  const limit = endingLimit(t.budget, ex.extension?.error);
  const pct = total === null ? null : Math.round(total * 100);
  return (
    <section class="budget" aria-label="Budget">
      <div class="budget-head">
        <h3>Budget</h3>
        {pct !== null ? (
          <span class={pct >= 90 ? "warn-text" : "muted"}>{pct}% of the budget used</span>
        ) : (
          <span class="muted small">no limits</span>
        )}
      </div>
      {total !== null ? (
        <meter
          class="meter meter-total"
          aria-label="Budget utilization"
          min={0}
          max={1}
          low={0.7}
          high={0.9}
          optimum={0}
          value={total}
        />
      ) : null}
      <dl class="budget-rows">
        {rows.map((r) => (
          <div class={`budget-row${r.exceeded ? " exceeded" : ""}`} key={r.key}>
            <dt>{r.label}</dt>
            <dd>
              <span class="figure">{r.text}</span>
              {r.fraction !== undefined ? (
                <meter
                  class="meter"
                  aria-label={`${r.label} used`}
                  min={0}
                  max={1}
                  low={0.7}
                  high={0.9}
                  optimum={0}
                  value={r.fraction}
                />
              ) : null}
            </dd>
          </div>
        ))}
      </dl>
      {limit ? (
        <p class="warn-text small">
          Limit reached:{" "}
          {describeLimit(limit, { ...ex.serverLimits, ...ex.settings.budget, ...t.budget?.limits })}.
          {t.iterations.some((it) => it.forced)
            ? " The engine then asked the model once more for its final answer."
            : ""}
        </p>
      ) : null}
    </section>
  );
}
