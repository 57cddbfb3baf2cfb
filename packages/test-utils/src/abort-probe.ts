/**
 * Rejects with `signal.reason` once `signal` aborts (at once if it already has). It never
 * resolves, so a model call that awaits it can only end by being cancelled. Without a signal it
 * rejects at once ("the model call got no abort signal"): that call could never be cancelled, and
 * the test should say so instead of hanging.
 */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return reject(new Error("the model call got no abort signal"));
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * Waits `ms`, like a slow model or store, unless `signal` aborts first: then it rejects with
 * `signal.reason` at once. The timer and the listener are removed either way.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What {@link abortProbe} returns. */
export interface AbortProbe {
  /**
   * A scripted reply (`scriptedModel([probe.reply])`) or `doGenerate` body: records the call's
   * abort signal, resolves {@link started}, then waits until that signal aborts.
   */
  reply: (call: { abortSignal?: AbortSignal }) => Promise<never>;
  /** Resolves once {@link reply} has been called: the model call is in flight. */
  started: Promise<void>;
  /** The abort signal the model call got; undefined before it starts or when none was passed. */
  readonly signal: AbortSignal | undefined;
  /** Whether the model call's abort signal has fired. */
  readonly aborted: boolean;
}

/**
 * The scaffold of a test that checks cancellation reaches the model: a model call that hangs
 * until it is aborted, and records what it got.
 *
 * ```ts
 * const probe = abortProbe();
 * const engine = await seededEngine(scriptedModel([probe.reply]), { retry: { maxRetries: 0 } });
 * const controller = new AbortController();
 * const pending = engine.query("q", { signal: controller.signal });
 * await probe.started;
 * controller.abort(new Error("gone"));
 * await expect(pending).rejects.toThrow();
 * expect(probe.aborted).toBe(true);
 * ```
 */
export function abortProbe(): AbortProbe {
  let signal: AbortSignal | undefined;
  let resolve!: () => void;
  const started = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    reply: (call) => {
      signal = call.abortSignal;
      resolve();
      return untilAborted(call.abortSignal);
    },
    started,
    get signal() {
      return signal;
    },
    get aborted() {
      return signal?.aborted ?? false;
    },
  };
}
