import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { describeLimit, endingLimit } from "../lib/budget.ts";
import { type Exchange, runElapsedMs } from "../lib/exchange.ts";
import { followTarget, stillFollowing } from "../lib/follow.ts";
import { formatMs } from "../lib/format.ts";
import { modelCollection } from "../lib/models.ts";
import { useTick } from "../lib/tick.ts";
import { loopIterations } from "../lib/trace.ts";
import { BudgetMeter } from "./BudgetMeter.tsx";
import { IterationCard } from "./IterationCard.tsx";
import { SearchItem } from "./SearchItem.tsx";

/** The trace's steps, in order: the grounding search, each iteration and each item in one. */
const STEPS = ".grounding, .iterations > li, .trace-items > li";
/** Room left between the sticky Budget card and the step shown below it. */
const GAP_PX = 8;

/**
 * The live trace of one question: the budget meter, the grounding search, then every iteration
 * — the code the model wrote, what it printed, its searches and sub-LLM calls — as the engine's
 * events arrive. While new events come in, the panel follows the newest one unless the reader
 * scrolled up.
 */
export function TracePanel({ exchange: ex }: { exchange: Exchange | null }) {
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  /** Where following last scrolled to: scrolling up from there is the reader's doing. */
  const lastTarget = useRef(0);
  const events = ex?.trace.events ?? 0;
  const now = useTick(ex?.status === "streaming", 500);

  // The Budget card sticks over the top of the panel: following scrolls to the newest step but
  // keeps its heading below the card, where plain scroll-to-bottom slid it under the card.
  const follow = () => {
    const el = scroller.current;
    if (!el || !pinned.current) return;
    const card = el.querySelector<HTMLElement>(".budget");
    // Static in the narrow layout, where the page scrolls: then it covers nothing.
    const covered = card && getComputedStyle(card).position === "sticky" ? card.offsetHeight + GAP_PX : 0;
    const newest = [...el.querySelectorAll<HTMLElement>(STEPS)].at(-1);
    const newestTop = newest
      ? newest.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop
      : null;
    const target = followTarget({
      scrollHeight: el.scrollHeight,
      clientHeight: el.clientHeight,
      newestTop,
      covered,
    });
    lastTarget.current = target;
    el.scrollTop = target;
  };
  // After what changes the trace's layout — not on the clock's ticks, which would pull back a
  // reader who scrolled down within a tall step.
  useLayoutEffect(() => {
    if (events > 0) follow();
  }, [events, ex?.status, ex?.id]);

  // The card's height (it grows with the "Limit reached" note, and with wrapping in a narrower
  // panel) is the panel's scroll padding: keyboard focus and scrollIntoView then stop below the
  // card instead of under it. The card changing height also moves what follows it.
  const live = ex !== null;
  useEffect(() => {
    const el = scroller.current;
    const card = el?.querySelector<HTMLElement>(".budget");
    if (!el || !card) return;
    const observer = new ResizeObserver(() => {
      el.style.setProperty("--budget-h", `${card.offsetHeight}px`);
      follow();
    });
    observer.observe(card);
    return () => observer.disconnect();
  }, [live]);

  if (!ex) {
    return (
      <div class="trace-panel">
        <h2 id="trace-title">Live trace</h2>
        <p class="muted">
          Ask a question: each iteration of the investigation shows up here while it runs — the code the model
          writes, what it prints, every search with its hits, every sub-LLM call, and the budget used.
        </p>
      </div>
    );
  }
  const t = ex.trace;
  const collection = modelCollection(ex.settings.model);
  const ended = endingLimit(t.budget, ex.extension?.error);
  const limitText = ended
    ? describeLimit(ended, { ...ex.serverLimits, ...ex.settings.budget, ...t.budget?.limits })
    : null;
  const streaming = ex.status === "streaming";
  return (
    <div
      class="trace-panel"
      ref={scroller}
      onScroll={(e) => {
        pinned.current = stillFollowing(e.currentTarget, lastTarget.current);
      }}
    >
      <div class="trace-head">
        <h2 id="trace-title">Live trace</h2>
        <span class={`badge badge-${ex.status}`}>{streaming ? "running" : ex.status}</span>
        <span class="muted small">
          {loopIterations(t).length} iteration{loopIterations(t).length === 1 ? "" : "s"} ·{" "}
          {formatMs(runElapsedMs(ex, now))}
        </span>
      </div>
      <p class="trace-question">
        <span class="muted">Question:</span> {ex.question}
      </p>
      <BudgetMeter exchange={ex} />
      {t.warnings.length > 0 ? (
        <ul class="warnings" aria-label="Budget warnings">
          {t.warnings.map((w, i) => (
            <li key={i} class="warn-text">
              {w}
            </li>
          ))}
        </ul>
      ) : null}
      {t.events === 0 ? (
        <p class="muted" role="status">
          {streaming
            ? "Waiting for the engine's first event…"
            : ex.status === "error"
              ? "No trace: the request failed before the engine reported anything."
              : ex.status === "stopped"
                ? "Stopped before the engine reported anything."
                : "No trace events came with this answer (the server may not send the live trace)."}
        </p>
      ) : null}
      {t.grounding.length > 0 ? (
        <section class="grounding" aria-label="Grounding search">
          <h3>Grounding search</h3>
          <p class="muted small">
            Before its first turn the model is shown what a search for the question finds.
          </p>
          <ul class="trace-items">
            {t.grounding.map((s, i) => (
              <SearchItem key={i} search={s} collection={collection} />
            ))}
          </ul>
        </section>
      ) : null}
      <ol class="iterations" aria-label="Iterations">
        {t.iterations.map((it, i) => (
          <IterationCard
            key={it.iteration}
            iteration={it}
            runStatus={ex.status}
            limit={limitText}
            collection={collection}
            last={i === t.iterations.length - 1}
          />
        ))}
      </ol>
    </div>
  );
}
