import type { CallbackContext, DeepRecallCallbacks, DeepRecallResult } from "@deeprecall/core";
import { isAbortError } from "@deeprecall/core";

export interface RunRecord {
  runId: string;
  query: string;
  ended?: DeepRecallResult;
  errors: unknown[];
}

/**
 * Engine callbacks that record every run: started, ended with a result, or failed (and whether
 * the failure was an abort). This is how the suite proves a disconnected client's run stopped.
 */
export class RunRecorder implements DeepRecallCallbacks {
  readonly runs = new Map<string, RunRecord>();

  onQueryStart(ctx: CallbackContext): void {
    this.runs.set(ctx.runId, { runId: ctx.runId, query: ctx.query, errors: [] });
  }

  onError(ctx: CallbackContext, error: unknown): void {
    this.#get(ctx).errors.push(error);
  }

  onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): void {
    this.#get(ctx).ended = result;
  }

  #get(ctx: CallbackContext): RunRecord {
    let run = this.runs.get(ctx.runId);
    if (!run) {
      run = { runId: ctx.runId, query: ctx.query, errors: [] };
      this.runs.set(ctx.runId, run);
    }
    return run;
  }

  get started(): number {
    return this.runs.size;
  }

  /** Runs that ended one way or the other (result or error). */
  get settled(): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.ended !== undefined || r.errors.length > 0);
  }

  get aborted(): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.errors.some((e) => isAbortError(e)));
  }

  /** Runs neither finished nor failed: still in flight (or leaked). */
  get open(): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.ended === undefined && r.errors.length === 0);
  }

  byQuery(query: string): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.query === query);
  }
}
