/**
 * The API key the console sends as `Authorization: Bearer <key>`: kept in sessionStorage (this
 * tab), or in localStorage when the person asked to be remembered. When a call gets a 401,
 * `requestKey` asks the person through whatever prompt `onKeyRequest` registered (the
 * KeyPrompt dialog) and the call is retried with the new key.
 */

const STORAGE_KEY = "deeprecall.apiKey";

/** The key in use, or null. */
export function getKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
  } catch {
    return memoryKey;
  }
}

let memoryKey: string | null = null;
const keyListeners = new Set<(key: string | null) => void>();

/** Stores `key` for this tab, and across visits when `remember`. */
export function setKey(key: string, remember: boolean): void {
  memoryKey = key;
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
    if (remember) localStorage.setItem(STORAGE_KEY, key);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage blocked (private mode, policy): the key lives in memory for this page only.
  }
  for (const listener of keyListeners) listener(key);
}

/** Forgets the key everywhere (sign out). */
export function clearKey(): void {
  memoryKey = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  for (const listener of keyListeners) listener(null);
}

/** Calls `listener` whenever the key is set or cleared; returns the unsubscribe. */
export function onKeyChange(listener: (key: string | null) => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

let keyNeeded = false;
const neededListeners = new Set<() => void>();

/** Whether this server has asked for a key (a 401 was seen): only then is "Set API key" offered. */
export function isKeyNeeded(): boolean {
  return keyNeeded;
}

/** Calls `listener` when the server is first seen to need a key; returns the unsubscribe. */
export function onKeyNeeded(listener: () => void): () => void {
  neededListeners.add(listener);
  return () => neededListeners.delete(listener);
}

/**
 * Records a 401 to a call that sent `sentKey` (null: none). A key the server refused is
 * forgotten — unless another was stored meanwhile — so the header says "Set API key" again
 * instead of "Sign out", and the bad key is not sent again on the next visit.
 */
export function noteUnauthorized(sentKey: string | null): void {
  if (sentKey !== null && getKey() === sentKey) clearKey();
  if (keyNeeded) return;
  keyNeeded = true;
  for (const listener of neededListeners) listener();
}

/** What the prompt is told: why a key is needed (the server's 401 message). */
export interface KeyRequest {
  message: string;
  /** Call with the key the person entered, and whether to remember it. */
  submit(key: string, remember: boolean): void;
  /** The person dismissed the prompt. */
  cancel(): void;
}

type Prompter = (request: KeyRequest) => void;
let prompter: Prompter | null = null;
let pending: Promise<string> | null = null;
/** A request made before any prompt was registered (a 401 racing the first render). */
let queued: KeyRequest | null = null;

/** Registers the UI that asks for a key (one at a time; the last one registered wins). */
export function onKeyRequest(p: Prompter): () => void {
  prompter = p;
  if (queued) {
    const request = queued;
    queued = null;
    p(request);
  }
  return () => {
    if (prompter === p) prompter = null;
  };
}

/** Thrown by `requestKey` when the person dismissed the prompt. */
export class KeyRequestCancelled extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyRequestCancelled";
  }
}

/**
 * Asks for a key, showing `message`; resolves with the key once entered (and stored).
 * Concurrent 401s share one prompt; a request made before the prompt is registered waits for it.
 */
export function requestKey(message: string): Promise<string> {
  if (pending) return pending;
  const p = new Promise<string>((resolve, reject) => {
    const request: KeyRequest = {
      message,
      submit: (key, remember) => {
        setKey(key, remember);
        resolve(key);
      },
      cancel: () => reject(new KeyRequestCancelled(message)),
    };
    if (prompter) prompter(request);
    else queued = request;
  });
  pending = p;
  const clear = () => {
    if (pending === p) pending = null;
  };
  p.then(clear, clear);
  return p;
}
