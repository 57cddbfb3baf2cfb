import type { FileHandle } from "node:fs/promises";
import { mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, DeepRecallError } from "../errors.ts";
import type { BudgetStatus, DeepRecallResult, QueryOptions, ReasoningStep, SearchRecord } from "../types.ts";
import { describeError, toJsonLine } from "./serialize.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

export interface JsonlCallbackOptions {
  /** File to append to; parent directories are created. */
  path: string;
}

/** The `event` field of each line. */
export type JsonlEventName =
  | "query-start"
  | "iteration-start"
  | "iteration-complete"
  | "search"
  | "reasoning-step"
  | "budget-warning"
  | "error"
  | "query-end";

/**
 * Appends one JSON object per event to a file, one per line:
 * `{ "timestamp": ISO-8601, "runId", "event", "query", ...payload }`. Payload fields by event:
 * query-start `options` (without the signal); iteration-start `iteration`; iteration-complete and
 * reasoning-step `step`; search `search`; budget-warning `status`, `message`; error `error`
 * (name, message, code, status: no stack or cause); query-end `result`.
 *
 * Writes are queued, so lines from concurrent runs never interleave, and each hook resolves once
 * its line is written. Call `close()` when done.
 */
export class JsonlCallback implements DeepRecallCallbacks {
  readonly path: string;
  #handle: Promise<FileHandle> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: JsonlCallbackOptions) {
    if (!options || typeof options.path !== "string" || options.path.trim() === "") {
      throw new ConfigError("JsonlCallback needs a `path` to the log file", { field: "path" });
    }
    this.path = resolve(options.path);
  }

  #file(): Promise<FileHandle> {
    if (!this.#handle) {
      const opening = (async () => {
        await mkdir(dirname(this.path), { recursive: true });
        return open(this.path, "a");
      })();
      this.#handle = opening;
      // A failed open is retried by the next write rather than remembered forever.
      opening.catch(() => {
        if (this.#handle === opening) this.#handle = undefined;
      });
    }
    return this.#handle;
  }

  #write(ctx: CallbackContext, event: JsonlEventName, payload: Record<string, unknown>): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new DeepRecallError(`JsonlCallback for ${this.path} is closed`, { code: "callback_closed" }),
      );
    }
    const line = `${toJsonLine({ timestamp: new Date().toISOString(), runId: ctx.runId, event, query: ctx.query, ...payload })}\n`;
    const write = this.#queue.then(async () => {
      const handle = await this.#file();
      await handle.write(line);
    });
    // The queue continues after a failed write; the failure goes to this hook's caller.
    this.#queue = write.catch(() => {});
    return write;
  }

  onQueryStart(ctx: CallbackContext, options: QueryOptions): Promise<void> {
    const { signal: _signal, ...rest } = options ?? {};
    return this.#write(ctx, "query-start", { options: rest });
  }

  onIterationStart(ctx: CallbackContext, iteration: number): Promise<void> {
    return this.#write(ctx, "iteration-start", { iteration });
  }

  onIterationComplete(ctx: CallbackContext, step: ReasoningStep): Promise<void> {
    return this.#write(ctx, "iteration-complete", { step });
  }

  onSearch(ctx: CallbackContext, search: SearchRecord): Promise<void> {
    return this.#write(ctx, "search", { search });
  }

  onReasoningStep(ctx: CallbackContext, step: ReasoningStep): Promise<void> {
    return this.#write(ctx, "reasoning-step", { step });
  }

  onBudgetWarning(ctx: CallbackContext, status: BudgetStatus, message: string): Promise<void> {
    return this.#write(ctx, "budget-warning", { status, message });
  }

  onError(ctx: CallbackContext, error: unknown): Promise<void> {
    return this.#write(ctx, "error", { error: describeError(error) });
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): Promise<void> {
    return this.#write(ctx, "query-end", { result });
  }

  /** Resolves when every line queued so far is written. */
  flush(): Promise<void> {
    return this.#queue;
  }

  /** Waits for queued lines, then closes the file. Later events are rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
