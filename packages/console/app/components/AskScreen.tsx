import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { apiJson, messageOf } from "../lib/api.ts";
import type { ModelJson } from "../lib/api-types.ts";
import { runChat } from "../lib/chat-run.ts";
import {
  applyStreamEvent,
  type Exchange,
  endExchange,
  historyOf,
  newExchange,
  serverLimitsOf,
} from "../lib/exchange.ts";
import { chatModels } from "../lib/models.ts";
import { type AskSettings, chatRequestBody } from "../lib/request.ts";
import { AskForm } from "./AskForm.tsx";
import { ExchangeView } from "./ExchangeView.tsx";
import { TracePanel } from "./TracePanel.tsx";

const DEFAULT_SETTINGS: AskSettings = { model: "deeprecall", strategy: "repl", budget: {} };

/**
 * The Ask screen: the conversation (questions, answers streaming in as markdown with linked
 * citations and their sources) beside the live trace of the selected question. One question
 * runs at a time; a follow-up sends the earlier finished turns as history.
 */
export function AskScreen({ hidden, loads = 0 }: { hidden: boolean; loads?: number }) {
  const [models, setModels] = useState<ModelJson[] | null>(null);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [settings, setSettings] = useState<AskSettings>(DEFAULT_SETTINGS);
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const running = useRef<AbortController | null>(null);
  const nextId = useRef(1);

  // The models (collections, with their counts) are read each time the screen is shown: a
  // collection created on the Documents screen is then there to ask (and again after a key is
  // entered from the header).
  useEffect(() => {
    if (hidden) return;
    apiJson<{ data: ModelJson[] }>("v1/models")
      .then((list) => {
        const chat = chatModels(list.data ?? []);
        setModels(chat);
        setModelsError(null);
        if (chat[0])
          setSettings((s) => (chat.some((m) => m.id === s.model) ? s : { ...s, model: chat[0]!.id }));
      })
      .catch((error) => setModelsError(messageOf(error)));
  }, [hidden, loads]);

  const update = useCallback((id: number, change: (ex: Exchange) => Exchange) => {
    setExchanges((list) => list.map((ex) => (ex.id === id ? change(ex) : ex)));
  }, []);

  const busy = exchanges.some((ex) => ex.status === "streaming");

  const ask = (question: string) => {
    if (busy) return;
    const id = nextId.current++;
    const body = chatRequestBody(question, historyOf(exchanges), settings);
    const controller = new AbortController();
    running.current = controller;
    setExchanges((list) => {
      // The server's limits the last run reported, for the meter until this run reports its own.
      const last = list.at(-1);
      const known = last && last.settings.model === settings.model ? serverLimitsOf(last) : {};
      return [...list, newExchange(id, question, settings, body, Date.now(), known)];
    });
    setSelected(null);
    runChat(body, controller.signal, (event) => update(id, (ex) => applyStreamEvent(ex, event)))
      .then(() => update(id, (ex) => endExchange(ex, {})))
      .catch((error: unknown) => {
        const stopped = controller.signal.aborted;
        update(id, (ex) => endExchange(ex, stopped ? { stopped } : { error: messageOf(error) }));
      })
      .finally(() => {
        if (running.current === controller) running.current = null;
      });
  };

  const stop = () => running.current?.abort();

  // Keep the newest exchange in view as it grows, unless the reader scrolled up to read.
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const count = exchanges.length;
  const growing = exchanges.at(-1)?.answer.length ?? 0;
  useEffect(() => {
    if (count > 0) pinned.current = true;
  }, [count]);
  useEffect(() => {
    const el = scroller.current;
    if (el && pinned.current && count > 0) el.scrollTop = el.scrollHeight;
  }, [count, growing]);

  const shown = exchanges.find((ex) => ex.id === selected) ?? exchanges.at(-1) ?? null;

  return (
    <div class="ask" hidden={hidden}>
      <section class="conversation" aria-labelledby="conversation-title">
        <h1 id="conversation-title" class="visually-hidden">
          Ask
        </h1>
        <div
          class="exchanges-scroll"
          ref={scroller}
          onScroll={(e) => {
            const el = e.currentTarget;
            pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {exchanges.length === 0 ? (
            <div class="empty-state">
              <h2>Ask about your documents</h2>
              <p>
                DeepRecall searches your documents, writes small programs to read what it found, asks
                sub-models, searches again, and answers with its sources. Watch each step in the trace as it
                happens.
              </p>
              <p>
                Add and browse what it answers from on the <a href="#/documents">Documents</a> screen.
              </p>
            </div>
          ) : (
            <ol class="exchanges" aria-label="Questions and answers">
              {exchanges.map((ex) => (
                <ExchangeView
                  key={ex.id}
                  exchange={ex}
                  traceShown={shown?.id === ex.id}
                  onShowTrace={() => setSelected(ex.id)}
                />
              ))}
            </ol>
          )}
        </div>
        <AskForm
          busy={busy}
          models={models}
          modelsError={modelsError}
          settings={settings}
          onSettings={setSettings}
          onAsk={ask}
          onStop={stop}
          followUp={exchanges.some((ex) => ex.status === "done")}
        />
      </section>
      <aside class="trace" aria-labelledby="trace-title">
        <TracePanel exchange={shown} />
      </aside>
    </div>
  );
}
