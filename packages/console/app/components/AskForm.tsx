import { useRef, useState } from "preact/hooks";
import type { ModelJson } from "../lib/api-types.ts";
import { modelOptionLabel } from "../lib/models.ts";
import type { AskSettings } from "../lib/request.ts";
import { AskOptions } from "./AskOptions.tsx";

interface Props {
  busy: boolean;
  models: ModelJson[] | null;
  modelsError: string | null;
  settings: AskSettings;
  onSettings: (s: AskSettings) => void;
  onAsk: (question: string) => void;
  onStop: () => void;
  /** True once an answer exists: the next question is a follow-up. */
  followUp: boolean;
}

/**
 * The question box: Enter sends (Shift+Enter for a new line), the model picker beside it, the
 * per-question options (strategy, top_k, budget) in a disclosure, and Stop while an answer runs.
 */
export function AskForm({ busy, models, modelsError, settings, onSettings, onAsk, onStop, followUp }: Props) {
  const [question, setQuestion] = useState("");
  const [optionsError, setOptionsError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  const send = () => {
    const q = question.trim();
    if (q === "" || busy) return;
    if (optionsError) {
      box.current?.closest("form")?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
      return;
    }
    onAsk(q);
    setQuestion("");
    box.current?.focus();
  };

  return (
    <form
      class="ask-form"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label for="question" class="ask-label">
        {followUp ? "Follow-up question" : "Question"}
      </label>
      <textarea
        ref={box}
        id="question"
        name="question"
        rows={2}
        value={question}
        placeholder="Ask about your documents… (Enter to send, Shift+Enter for a new line)"
        onInput={(e) => setQuestion(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div class="ask-controls">
        <div class="field inline">
          <label for="model">Model</label>
          <select
            id="model"
            value={settings.model}
            onChange={(e) => onSettings({ ...settings, model: e.currentTarget.value })}
          >
            {(models && models.length > 0 ? models : [{ id: settings.model } as ModelJson]).map((m) => (
              <option key={m.id} value={m.id}>
                {modelOptionLabel(m)}
              </option>
            ))}
          </select>
        </div>
        <div class="ask-buttons">
          {busy ? (
            <button type="button" class="btn btn-danger" onClick={onStop}>
              Stop
            </button>
          ) : null}
          <button type="submit" class="btn btn-primary" disabled={busy || question.trim() === ""}>
            Send
          </button>
        </div>
      </div>
      {modelsError ? (
        <p class="hint error-text" role="status">
          Could not list the models: {modelsError}
        </p>
      ) : null}
      <AskOptions settings={settings} onSettings={onSettings} onError={setOptionsError} />
    </form>
  );
}
