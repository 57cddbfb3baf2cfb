import type { BudgetStatus, DeepRecallResult, QueryOptions, ReasoningStep, SearchRecord } from "../types.ts";

/** Context passed with every callback: which run it belongs to. */
export interface CallbackContext {
  runId: string;
  query: string;
}

/**
 * Hooks into a run. Every method is optional and may be async; a callback that throws is
 * reported to `onError` of the others and never breaks the run.
 */
export interface DeepRecallCallbacks {
  onQueryStart?(ctx: CallbackContext, options: QueryOptions): void | Promise<void>;
  onIterationStart?(ctx: CallbackContext, iteration: number): void | Promise<void>;
  onIterationComplete?(ctx: CallbackContext, step: ReasoningStep): void | Promise<void>;
  onSearch?(ctx: CallbackContext, search: SearchRecord): void | Promise<void>;
  onReasoningStep?(ctx: CallbackContext, step: ReasoningStep): void | Promise<void>;
  onBudgetWarning?(ctx: CallbackContext, status: BudgetStatus, message: string): void | Promise<void>;
  onError?(ctx: CallbackContext, error: unknown): void | Promise<void>;
  onQueryEnd?(ctx: CallbackContext, result: DeepRecallResult): void | Promise<void>;
}
