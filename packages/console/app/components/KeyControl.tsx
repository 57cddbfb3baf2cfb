import { useEffect, useState } from "preact/hooks";
import {
  clearKey,
  getKey,
  isKeyNeeded,
  KeyRequestCancelled,
  onKeyChange,
  onKeyNeeded,
  requestKey,
} from "../lib/auth.ts";

/**
 * "Sign out" while a key is stored (forgets it in this tab and on this device); "Set API key"
 * once the server has refused a call (a 401) and no key is stored — also after the prompt was
 * dismissed, so a key can be entered without reloading the page. Nothing on a server without keys.
 */
export function KeyControl({ onKeyEntered }: { onKeyEntered?: () => void }) {
  const [hasKey, setHasKey] = useState(() => getKey() !== null);
  const [needed, setNeeded] = useState(isKeyNeeded);
  useEffect(() => onKeyChange((key) => setHasKey(key !== null)), []);
  useEffect(() => onKeyNeeded(() => setNeeded(true)), []);
  if (hasKey) {
    return (
      <button type="button" class="btn btn-quiet" onClick={() => clearKey()}>
        Sign out
      </button>
    );
  }
  if (!needed) return null;
  const ask = () => {
    requestKey("This server needs an API key (it runs with --api-keys).")
      // Nothing is waiting on this key: the screen's failed call is made again by reloading it.
      .then(() => onKeyEntered?.())
      .catch((error) => {
        if (!(error instanceof KeyRequestCancelled)) throw error;
      });
  };
  return (
    <button type="button" class="btn btn-quiet" onClick={ask}>
      Set API key
    </button>
  );
}
