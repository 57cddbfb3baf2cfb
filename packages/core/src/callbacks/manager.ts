import type { BudgetStatus, DeepRecallResult, QueryOptions, ReasoningStep, SearchRecord } from "../types.ts";
import { CallbackError, type CallbackHook } from "./callback-error.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

export interface CallbackManagerOptions {
  /**
   * Told about every callback failure, including failures of `onError` itself (which are not
   * passed on to the other callbacks, so errors cannot loop). Default: when no other callback
   * has an `onError` to hear about it, the failure is emitted as a process warning.
   */
  onCallbackError?: (error: CallbackError) => void;
}

function nameOf(callback: DeepRecallCallbacks): string {
  const name = (callback as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object" ? name : "callback";
}

/**
 * Fans each hook out to many callbacks, in registration order, awaiting each one. A callback
 * that throws or rejects never breaks the run: the failure is wrapped in a `CallbackError` and
 * reported to the other callbacks' `onError`, and the remaining callbacks still run. The manager
 * is itself a `DeepRecallCallbacks`, so managers nest.
 */
export class CallbackManager implements Required<DeepRecallCallbacks> {
  readonly #callbacks: DeepRecallCallbacks[] = [];
  readonly #onCallbackError: ((error: CallbackError) => void) | undefined;

  constructor(
    callbacks?: DeepRecallCallbacks | readonly DeepRecallCallbacks[] | null,
    options: CallbackManagerOptions = {},
  ) {
    if (callbacks)
      for (const callback of Array.isArray(callbacks) ? callbacks : [callbacks]) this.add(callback);
    this.#onCallbackError = options.onCallbackError;
  }

  /** Registers a callback (ignored if already registered). */
  add(callback: DeepRecallCallbacks): this {
    if (!callback || typeof callback !== "object") {
      throw new TypeError("A callback must be an object with hook methods");
    }
    if (!this.#callbacks.includes(callback)) this.#callbacks.push(callback);
    return this;
  }

  /** Unregisters a callback; returns whether it was registered. */
  remove(callback: DeepRecallCallbacks): boolean {
    const index = this.#callbacks.indexOf(callback);
    if (index === -1) return false;
    this.#callbacks.splice(index, 1);
    return true;
  }

  /** The registered callbacks, in order. */
  get callbacks(): readonly DeepRecallCallbacks[] {
    return [...this.#callbacks];
  }

  get size(): number {
    return this.#callbacks.length;
  }

  /** The first registered callback matching `predicate`, e.g. `m.find((c) => c instanceof UsageTrackingCallback)`. */
  find<T extends DeepRecallCallbacks>(
    predicate: (callback: DeepRecallCallbacks) => callback is T,
  ): T | undefined {
    return this.#callbacks.find(predicate);
  }

  #fallback(error: CallbackError): void {
    if (this.#onCallbackError) {
      try {
        this.#onCallbackError(error);
      } catch {
        // The reporter of last resort failed too; nothing else to tell.
      }
      return;
    }
    process.emitWarning(error.message, { type: "DeepRecallCallbackWarning", code: "DEEPRECALL_CALLBACK" });
  }

  async #report(ctx: CallbackContext, failed: DeepRecallCallbacks, error: CallbackError): Promise<void> {
    let heard = false;
    for (const other of [...this.#callbacks]) {
      if (other === failed || typeof other.onError !== "function") continue;
      heard = true;
      try {
        await other.onError(ctx, error);
      } catch (inner) {
        this.#fallback(new CallbackError("onError", nameOf(other), inner));
      }
    }
    if (this.#onCallbackError || !heard) this.#fallback(error);
  }

  async #emit<K extends CallbackHook>(
    hook: K,
    ctx: CallbackContext,
    args: Parameters<NonNullable<DeepRecallCallbacks[K]>>,
  ): Promise<void> {
    // A snapshot: callbacks added or removed during a hook take effect from the next hook.
    for (const callback of [...this.#callbacks]) {
      const fn = callback[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn !== "function") continue;
      try {
        await fn.apply(callback, args);
      } catch (error) {
        const wrapped = new CallbackError(hook, nameOf(callback), error);
        if (hook === "onError") this.#fallback(wrapped);
        else await this.#report(ctx, callback, wrapped);
      }
    }
  }

  onQueryStart(ctx: CallbackContext, options: QueryOptions): Promise<void> {
    return this.#emit("onQueryStart", ctx, [ctx, options]);
  }

  onIterationStart(ctx: CallbackContext, iteration: number): Promise<void> {
    return this.#emit("onIterationStart", ctx, [ctx, iteration]);
  }

  onIterationComplete(ctx: CallbackContext, step: ReasoningStep): Promise<void> {
    return this.#emit("onIterationComplete", ctx, [ctx, step]);
  }

  onSearch(ctx: CallbackContext, search: SearchRecord): Promise<void> {
    return this.#emit("onSearch", ctx, [ctx, search]);
  }

  onReasoningStep(ctx: CallbackContext, step: ReasoningStep): Promise<void> {
    return this.#emit("onReasoningStep", ctx, [ctx, step]);
  }

  onBudgetWarning(ctx: CallbackContext, status: BudgetStatus, message: string): Promise<void> {
    return this.#emit("onBudgetWarning", ctx, [ctx, status, message]);
  }

  onError(ctx: CallbackContext, error: unknown): Promise<void> {
    return this.#emit("onError", ctx, [ctx, error]);
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): Promise<void> {
    return this.#emit("onQueryEnd", ctx, [ctx, result]);
  }

  /** Closes every callback that has a `close()` (e.g. `JsonlCallback`), even if some fail. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const callback of this.#callbacks) {
      const close = (callback as { close?: unknown }).close;
      if (typeof close !== "function") continue;
      try {
        await close.call(callback);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, "Several callbacks failed to close");
  }
}
