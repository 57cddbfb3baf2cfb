import { useEffect, useState } from "preact/hooks";
import type { BudgetLimits } from "../lib/api-types.ts";
import { type AskSettings, parseNumberField } from "../lib/request.ts";

interface NumberFieldSpec {
  key: keyof BudgetLimits | "top_k";
  label: string;
  hint: string;
  integer: boolean;
  allowZero?: boolean;
}

const FIELDS: NumberFieldSpec[] = [
  { key: "top_k", label: "Top k", hint: "Hits per search", integer: true },
  { key: "max_iterations", label: "Max iterations", hint: "Model turns", integer: true },
  { key: "max_search_calls", label: "Max searches", hint: "Search calls", integer: true, allowZero: true },
  { key: "max_tokens", label: "Max tokens", hint: "Tokens of all model calls", integer: true },
  { key: "max_time_seconds", label: "Max time (s)", hint: "Seconds", integer: false },
  { key: "max_cost_usd", label: "Max cost ($)", hint: "US dollars", integer: false },
];

/**
 * The per-question options, in a disclosure: strategy (repl: the model writes code; tools: it
 * calls search tools), top_k and the budget limits. Empty fields are not sent (the server's own
 * limits apply). An invalid field is marked and named, and `onError` blocks sending.
 */
export function AskOptions({
  settings,
  onSettings,
  onError,
}: {
  settings: AskSettings;
  onSettings: (s: AskSettings) => void;
  onError: (message: string | null) => void;
}) {
  const [texts, setTexts] = useState<Record<string, string>>({});
  const errors: Record<string, string> = {};
  for (const f of FIELDS) {
    const r = parseNumberField(texts[f.key] ?? "", {
      integer: f.integer,
      min: 0,
      allowMin: f.allowZero === true,
      ...(f.key === "top_k" ? { max: 1000 } : {}),
    });
    if (r.error !== undefined) errors[f.key] = `${f.label} ${r.error}`;
  }
  const firstError = Object.values(errors)[0] ?? null;
  useEffect(() => onError(firstError), [firstError, onError]);

  const change = (key: NumberFieldSpec["key"], text: string, spec: NumberFieldSpec) => {
    setTexts((t) => ({ ...t, [key]: text }));
    const r = parseNumberField(text, {
      integer: spec.integer,
      min: 0,
      allowMin: spec.allowZero === true,
      ...(key === "top_k" ? { max: 1000 } : {}),
    });
    if (r.error !== undefined) return;
    if (key === "top_k") {
      const { topK: _, ...rest } = settings;
      onSettings(r.value === undefined ? rest : { ...rest, topK: r.value });
    } else {
      const budget = { ...settings.budget };
      if (r.value === undefined) delete budget[key];
      else budget[key] = r.value;
      onSettings({ ...settings, budget });
    }
  };

  const set = Object.keys(settings.budget).length + (settings.topK !== undefined ? 1 : 0);
  return (
    <details class="options">
      <summary>
        Options{" "}
        <span class="muted">
          ({settings.strategy}
          {set > 0 ? `, ${set} limit${set > 1 ? "s" : ""} set` : ""})
        </span>
      </summary>
      <div class="options-grid">
        <div class="field">
          <label for="strategy">Strategy</label>
          <select
            id="strategy"
            value={settings.strategy}
            onChange={(e) => onSettings({ ...settings, strategy: e.currentTarget.value as "repl" | "tools" })}
          >
            <option value="repl">repl (code)</option>
            <option value="tools">tools (tool calls)</option>
          </select>
        </div>
        {FIELDS.map((f) => {
          const id = `opt-${f.key}`;
          const error = errors[f.key];
          return (
            <div class="field" key={f.key}>
              <label for={id} title={f.hint}>
                {f.label}
              </label>
              <input
                id={id}
                inputMode={f.integer ? "numeric" : "decimal"}
                value={texts[f.key] ?? ""}
                placeholder="default"
                aria-invalid={error ? "true" : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
                onInput={(e) => change(f.key, e.currentTarget.value, f)}
              />
              {error ? (
                <span id={`${id}-error`} class="field-error">
                  {error}
                </span>
              ) : null}
            </div>
          );
        })}
      </div>
    </details>
  );
}
