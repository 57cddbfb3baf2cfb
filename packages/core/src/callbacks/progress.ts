import { ConfigError } from "../errors.ts";
import type { DeepRecallResult, QueryOptions, ReasoningStep, SearchRecord } from "../types.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

export interface ProgressCallbackOptions {
  /**
   * Called with a fraction in [0, 1] that never goes down within a run, and a short message.
   * 0 at the start, (iterations done / maxIterations) while working (kept below 1), 1 at the end.
   */
  onProgress(fraction: number, message: string, ctx: CallbackContext): void | Promise<void>;
  /** The engine's `maxIterations`, used when a query sets no `budget.maxIterations`. Default 15. */
  maxIterations?: number;
}

interface RunProgress {
  maxIterations: number;
  started: number;
  fraction: number;
}

/** Runs tracked at once; beyond this the oldest is forgotten (a run that never ended). */
const MAX_TRACKED_RUNS = 1000;
const WORKING_CAP = 0.99;

/** Reports each run's progress against its iteration limit (for progress bars and SSE). */
export class ProgressCallback implements DeepRecallCallbacks {
  readonly maxIterations: number;
  readonly #onProgress: ProgressCallbackOptions["onProgress"];
  readonly #runs = new Map<string, RunProgress>();

  constructor(options: ProgressCallbackOptions) {
    if (typeof options?.onProgress !== "function") {
      throw new ConfigError("ProgressCallback needs an onProgress(fraction, message) function", {
        field: "onProgress",
      });
    }
    const max = options.maxIterations ?? 15;
    if (!Number.isInteger(max) || max < 1) {
      throw new ConfigError(`maxIterations must be a positive integer, got ${String(max)}`, {
        field: "maxIterations",
      });
    }
    this.maxIterations = max;
    this.#onProgress = options.onProgress;
  }

  #run(ctx: CallbackContext): RunProgress {
    let run = this.#runs.get(ctx.runId);
    if (!run) {
      run = { maxIterations: this.maxIterations, started: 0, fraction: 0 };
      this.#runs.set(ctx.runId, run);
      if (this.#runs.size > MAX_TRACKED_RUNS) {
        const oldest = this.#runs.keys().next().value;
        if (oldest !== undefined) this.#runs.delete(oldest);
      }
    }
    return run;
  }

  async #report(ctx: CallbackContext, run: RunProgress, fraction: number, message: string): Promise<void> {
    run.fraction = Math.max(run.fraction, Math.min(1, Math.max(0, fraction)));
    await this.#onProgress(run.fraction, message, ctx);
  }

  async onQueryStart(ctx: CallbackContext, options: QueryOptions): Promise<void> {
    this.#runs.delete(ctx.runId);
    const run = this.#run(ctx);
    const max = options?.budget?.maxIterations;
    if (typeof max === "number" && Number.isInteger(max) && max >= 1) run.maxIterations = max;
    await this.#report(ctx, run, 0, "Started");
  }

  async onIterationStart(ctx: CallbackContext, iteration: number): Promise<void> {
    const run = this.#run(ctx);
    run.started += 1;
    const fraction = Math.min(WORKING_CAP, (run.started - 1) / run.maxIterations);
    await this.#report(ctx, run, fraction, `Iteration ${iteration} of at most ${run.maxIterations}`);
  }

  async onSearch(ctx: CallbackContext, search: SearchRecord): Promise<void> {
    const run = this.#run(ctx);
    await this.#report(
      ctx,
      run,
      run.fraction,
      `Searched ${JSON.stringify(search.query)}: ${search.hits} hits`,
    );
  }

  async onIterationComplete(ctx: CallbackContext, step: ReasoningStep): Promise<void> {
    const run = this.#run(ctx);
    const done = Math.max(run.started, 1);
    const fraction = Math.min(WORKING_CAP, done / run.maxIterations);
    await this.#report(
      ctx,
      run,
      fraction,
      step.final ? "Writing the answer" : `Iteration ${step.iteration} done`,
    );
  }

  async onQueryEnd(ctx: CallbackContext, result: DeepRecallResult): Promise<void> {
    const run = this.#run(ctx);
    this.#runs.delete(ctx.runId);
    await this.#report(ctx, run, 1, result.error ? `Stopped: ${result.error}` : "Done");
  }
}
