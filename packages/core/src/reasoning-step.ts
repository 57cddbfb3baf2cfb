import type { RunState } from "./run-state.ts";
import type { ReasoningStep } from "./types.ts";

export interface StepFields {
  iteration: number;
  modelText: string;
  code?: string[];
  output?: string;
  /** `performance.now()` when the step began. */
  started: number;
  /** The step that gave (or was forced to give) the answer. */
  final?: boolean;
}

/**
 * The one way a loop turns a finished turn into a `ReasoningStep`. A root-loop step (`root`)
 * takes what the run counted since the previous step — searches, sub-LLM calls, usage — and
 * starts a new count; a child loop's step leaves them to the root step that called it.
 */
export function takeStep(run: RunState, fields: StepFields, root: boolean): ReasoningStep {
  const step: ReasoningStep = {
    iteration: fields.iteration,
    modelText: fields.modelText,
    code: fields.code ?? [],
    output: fields.output ?? "",
    searches: root ? run.stepSearches : [],
    subLLMCalls: root ? run.stepSubCalls : [],
    timeMs: Math.round(performance.now() - fields.started),
    usage: root ? run.takeStepUsage() : { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    ...(fields.final ? { final: true } : {}),
  };
  if (root) {
    run.stepSearches = [];
    run.stepSubCalls = [];
  }
  return step;
}

/**
 * Tells a run's listeners that a root step is done: the `iteration-complete` event, the
 * `onReasoningStep` hook and, for an iteration of the loop proper (`iteration`, default true),
 * `onIterationComplete` — the forced last answer after a limit is a step but not an iteration.
 */
export async function publishStep(run: RunState, step: ReasoningStep, iteration = true): Promise<void> {
  run.emit({ type: "iteration-complete", step });
  await run.hook("onReasoningStep", run.ctx, step);
  if (iteration) await run.hook("onIterationComplete", run.ctx, step);
}
