import { useEffect, useId, useRef, useState } from "preact/hooks";
import { type KeyRequest, onKeyRequest } from "../lib/auth.ts";

/**
 * The API key dialog, opened whenever a call gets a 401 (or "Set API key" is pressed): a modal
 * `<dialog>` (focus moves into it and stays there) with the server's message, a labelled
 * password field, and "remember on this device". Escape or Cancel dismisses it.
 */
export function KeyPrompt() {
  const [request, setRequest] = useState<KeyRequest | null>(null);
  const [remember, setRemember] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const messageId = useId();

  useEffect(() => onKeyRequest((r) => setRequest(r)), []);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (request && !d.open) {
      d.showModal();
      input.current?.focus();
    } else if (!request && d.open) d.close();
  }, [request]);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const key = input.current?.value.trim() ?? "";
    if (!request || key === "") {
      input.current?.focus();
      return;
    }
    if (input.current) input.current.value = "";
    setRequest(null);
    request.submit(key, remember);
  };
  const cancel = () => {
    const r = request;
    setRequest(null);
    r?.cancel();
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={titleId}
      aria-describedby={messageId}
      onCancel={(e) => {
        e.preventDefault();
        cancel();
      }}
    >
      <form onSubmit={submit} class="stack">
        <h2 id={titleId}>API key needed</h2>
        <p id={messageId} class="dialog-message" role="alert">
          {request?.message}
        </p>
        <div class="field">
          <label for={`${titleId}-key`}>API key</label>
          <input
            ref={input}
            id={`${titleId}-key`}
            name="api-key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
          />
        </div>
        <label class="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          Remember on this device
        </label>
        <p class="hint">
          Without “remember”, the key is kept for this tab only. It is sent as a Bearer token to this server
          and nowhere else.
        </p>
        <div class="row end">
          <button type="button" class="btn" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary">
            Use key
          </button>
        </div>
      </form>
    </dialog>
  );
}
