import { useEffect, useState } from "preact/hooks";
import { clearKey, getKey, KeyRequestCancelled, onKeyChange, requestKey } from "../lib/auth.ts";

/** "Set API key" when none is stored, else "Sign out" (forgets it in this tab and on this device). */
export function KeyControl() {
  const [hasKey, setHasKey] = useState(() => getKey() !== null);
  useEffect(() => onKeyChange((key) => setHasKey(key !== null)), []);
  if (hasKey) {
    return (
      <button type="button" class="btn btn-quiet" onClick={() => clearKey()}>
        Sign out
      </button>
    );
  }
  const ask = () => {
    requestKey("Enter an API key for this server (needed when it runs with --api-keys).").catch((error) => {
      if (!(error instanceof KeyRequestCancelled)) throw error;
    });
  };
  return (
    <button type="button" class="btn btn-quiet" onClick={ask}>
      Set API key
    </button>
  );
}
