import type { LanguageModel, ModelMessage } from "ai";
import { answerProblem, cleanAnswer, promptWording, synthesizeAnswer, usableAnswer } from "./answer-check.ts";
import { HARD_LIMITS } from "./budget.ts";
import { CALL_TIMEOUT_LIMIT, isCallTimeout } from "./call-timeout.ts";
import {
  BudgetExceededError,
  getErrorMessage,
  isAbortError,
  LLMProviderError,
  VectorStoreError,
} from "./errors.ts";
import { mapConcurrent } from "./map-concurrent.ts";
import { estimateTokens, promptChars, rootSampling } from "./model-call.ts";
import { CALL_DEFAULTS } from "./options.ts";
import { extractCodeBlocks, extractPythonBlocks, type FinalDirective, findFinal } from "./parse.ts";
import {
  compactionPrompt,
  firstUserMessage,
  forcedFinalMessage,
  groundingBlock,
  NO_CODE_NUDGE,
  type PromptContext,
  PYTHON_NUDGE,
  rejectedFinalMessage,
  replOutputMessage,
  replSystemPrompt,
} from "./prompts.ts";
import { publishStep, takeStep } from "./reasoning-step.ts";
import type { RunState } from "./run-state.ts";
import { formatBlockResult } from "./sandbox/format.ts";
import type { SandboxHost, SandboxPool, SandboxSession } from "./sandbox/types.ts";
import { truncate } from "./truncate.ts";
import type { ReasoningStep, SearchResult } from "./types.ts";

export interface LoopInput {
  query: string;
  depth: number;
  storeSize: number | null;
  instructions?: string;
  history?: ModelMessage[];
  contextPrefix?: string;
  rootPrompt?: string;
  /** Hits of the grounding search, shown in the first message (root loop only). */
  grounding?: SearchResult[];
  /** Aborts this loop (a child loop: the host call's signal, when the calling block is stopped). */
  signal?: AbortSignal;
}

export interface LoopOutcome {
  answer: string;
  steps: ReasoningStep[];
  /** How the loop ended: the model's own FINAL, or without it (a limit; the answer forced or synthesised). */
  ending: "final" | "forced" | "budget";
  /** Text already streamed as `answer-delta` events by the loop (tools strategy). */
  streamedAnswer?: string;
  /**
   * True when the output-token cap cut the reply while the model wrote the answer (the backend
   * stopped at "length" with the answer running to the end of the reply): the answer is incomplete.
   */
  truncated?: boolean;
}

/** `a` and `b` combined (either aborts), or just `a`. */
export function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  return b ? AbortSignal.any([a, b]) : a;
}

/**
 * Whether a root model turn that failed with `error` ends the run as a limit: a request cut by
 * `callTimeoutMs` on every attempt (the backend is not answering in time). The limit is recorded
 * as `callTimeoutMs`, so the run ends like any other limit: a best-effort answer from the sources
 * seen, `error` and `budgetStatus.exceededLimit` naming it, `finish_reason` "length".
 */
export function endsOnCallTimeout(run: RunState, error: unknown): boolean {
  if (!isCallTimeout(error) && !isCallTimeout((error as { cause?: unknown } | null)?.cause)) return false;
  run.budget.markExceeded(CALL_TIMEOUT_LIMIT);
  return true;
}

/**
 * Whether the loop may ask the model once more for a final answer after `limit` ended it: not
 * after a hard limit (tokens, cost, time are spent) nor after the model stopped answering in time.
 */
export function mayForceFinal(run: RunState, limit: string): boolean {
  return !HARD_LIMITS.has(limit) && limit !== CALL_TIMEOUT_LIMIT && run.budget.spentHardLimit() === null;
}

/** Whether `error` means "the budget ended this" (a refusal, or the time budget's abort). */
export function isBudgetStop(run: RunState, error: unknown): boolean {
  if (BudgetExceededError.isInstance(error)) return true;
  return isAbortError(error) && !run.userAborted && run.budget.exceededLimit === "maxTimeSeconds";
}

/**
 * Whether an answer read from a reply was cut by the output-token cap: the backend stopped at
 * "length" and the answer ran to the end of the reply — FINAL( never closed, or (`directive`
 * null) the whole reply taken as the answer. A FINAL that closed before the cut is whole.
 */
export function cutByCap(finishReason: string, directive: FinalDirective | null): boolean {
  if (finishReason !== "length") return false;
  return directive === null || (directive.kind === "answer" && !directive.closed);
}

/**
 * The recursive loop: ask the model, run its code blocks in one sandbox for the whole
 * investigation (created when the first block runs), show it the output, repeat until a usable
 * FINAL, the iteration limit or the budget. A loop that ends without the model's own FINAL
 * ends through {@link endWithoutFinal}: the root loop records the limit (maxIterations when the
 * turns ran out) in the run's budget, and the answer is never empty, a code fence or an echo.
 */
export async function runReplLoop(run: RunState, pool: SandboxPool, input: LoopInput): Promise<LoopOutcome> {
  const engine = run.engine;
  const budgetIterations = run.budget.limits.maxIterations;
  const isRoot = input.depth === 1;
  // The query budget's maxIterations bounds every loop, child investigations included.
  const maxIterations = Math.min(engine.maxIterations, budgetIterations ?? Number.POSITIVE_INFINITY);
  const signal = anySignal(run.signal, input.signal);
  const promptCtx: PromptContext = {
    storeName: engine.vectorStore.name,
    documentCount: input.storeSize,
    topK: run.options.topK ?? engine.topK,
    maxIterations,
    depth: input.depth,
    maxDepth: engine.maxDepth,
    ...(run.budget.limits.maxSearchCalls !== undefined
      ? { maxSearchCalls: run.budget.limits.maxSearchCalls }
      : {}),
  };
  const instructions = [replSystemPrompt(promptCtx), input.instructions].filter(Boolean).join("\n\n");
  const model: LanguageModel = isRoot ? engine.model : (engine.subModel ?? engine.model);
  const maxOutputTokens = isRoot
    ? (run.options.maxOutputTokens ?? engine.maxOutputTokens ?? CALL_DEFAULTS.maxOutputTokens)
    : (engine.subMaxOutputTokens ?? CALL_DEFAULTS.subMaxOutputTokens);
  const modelSettings = {
    maxOutputTokens,
    ...(isRoot ? rootSampling(run.options) : {}),
  };
  const what = isRoot ? "root model turn" : `model turn of a depth-${input.depth} llmQuery`;
  const firstMessage = firstUserMessage(
    input.query,
    promptCtx,
    input.contextPrefix,
    input.rootPrompt,
    input.grounding,
  );
  const messages: ModelMessage[] = [...(input.history ?? []), { role: "user", content: firstMessage }];
  // The prompt's own wording, so an answer that only echoes it is not taken (document snippets,
  // the caller's context and the question are not wording: quoting them is no echo).
  const wording = promptWording(instructions, firstMessage, [
    groundingBlock(input.grounding ?? []),
    input.contextPrefix,
    input.query,
  ]);
  const steps: ReasoningStep[] = [];
  const host: SandboxHost = {
    searchDb: (q, k, f, o) => run.searchForModel(q, k, f, anySignal(signal, o?.signal)),
    llmQuery: (prompt, o) => subQuery(run, pool, input, prompt, anySignal(signal, o?.signal)),
    llmQueryBatched: (prompts, o) => batchedSubQuery(run, pool, input, prompts, anySignal(signal, o?.signal)),
  };
  // Created when the first block runs: a query whose model answers at once needs no sandbox.
  const holder: { session: SandboxSession | null } = { session: null };
  const sessions = {
    get: async (): Promise<SandboxSession> => {
      holder.session ??= await pool.createSession(host, {
        context: input.contextPrefix ?? "",
        // Its blocks may wait on child investigations down to maxDepth, each needing a worker.
        nesting: { depth: input.depth, maxDepth: Math.max(input.depth, run.engine.maxDepth) },
      });
      return holder.session;
    },
    existing: () => holder.session,
  };
  const loop: LoopContext = {
    run,
    input,
    isRoot,
    model,
    instructions,
    messages,
    modelSettings,
    steps,
    signal,
    what,
    wording,
  };

  // The iteration in progress, so a budget that stops it part-way still gets its step.
  let current: { iteration: number; started: number } | null = null;
  // Every way out of the loop (the model's FINAL, a limit, a failure) frees the sandbox.
  try {
    try {
      for (let iteration = 1; iteration <= maxIterations; iteration++) {
        run.checkAbort();
        signal.throwIfAborted();
        if (run.budget.check()) break;
        const started = performance.now();
        current = { iteration, started };
        if (isRoot) {
          run.currentIteration = iteration;
          run.budget.iterations = iteration;
          run.emit({ type: "iteration-start", iteration });
          await run.hook("onIterationStart", run.ctx, iteration);
          await run.warnBudget();
        }

        const { text: reply, finishReason } = await run.callModelReply(
          model,
          { instructions, messages, ...modelSettings },
          { signal, what },
        );
        if (isRoot) run.emit({ type: "model-text", iteration, text: reply });

        const { outputs, final, code } = await runBlocks(run, sessions, reply, iteration, isRoot, signal);
        if (run.fatal) throw run.fatal;

        let answer = final;
        let finalNote: string | undefined;
        // FINAL() called from code is a whole answer, whatever happened to the reply's tail.
        let cut = false;
        if (answer === undefined) {
          const directive = findFinal(reply);
          if (directive?.kind === "answer") {
            answer = directive.answer;
            cut = cutByCap(finishReason, directive);
          } else if (directive?.kind === "var") {
            // Reading the variable runs guest code (toJSON, getters): its failure is the
            // model's to hear about, never the run's end.
            const read = await readVariable(sessions.existing(), directive.name);
            if (read.value !== undefined) answer = read.value;
            else
              finalNote =
                read.error === undefined
                  ? `FINAL_VAR(${directive.name}): there is no variable named "${directive.name}". Define it in a repl block first, or use FINAL(answer).`
                  : `FINAL_VAR(${directive.name}): reading the variable failed (${read.error}). Put the answer in a string and use FINAL(answer).`;
          }
        }
        if (answer !== undefined) {
          const problem = answerProblem(answer, input.query, loop.wording);
          if (problem) {
            finalNote = rejectedFinalMessage(problem);
            answer = undefined;
          } else {
            answer = cleanAnswer(answer);
          }
        }
        if (finalNote) outputs.push(finalNote);
        if (code.length === 0 && answer === undefined && !finalNote) {
          outputs.push(extractPythonBlocks(reply).length > 0 ? PYTHON_NUDGE : NO_CODE_NUDGE);
        }
        const output = truncate(outputs.join("\n\n"), engine.maxOutputChars);
        const step = takeStep(
          run,
          { iteration, modelText: reply, code, output, started, final: answer !== undefined },
          isRoot,
        );
        steps.push(step);
        current = null;
        if (isRoot) await publishStep(run, step);
        if (answer !== undefined)
          return { answer, steps, ending: "final", ...(cut ? { truncated: true } : {}) };

        // The model sees what its code printed, also in the forced last turn after a limit.
        messages.push(
          { role: "assistant", content: reply },
          { role: "user", content: replOutputMessage([output]) },
        );
        if (run.budget.exceeded) break;
        await maybeCompact(run, sessions.existing(), messages, input, signal);
      }
    } catch (error) {
      // A child investigation the budget refused is refused to the code that asked for it (its
      // llmQuery throws the BudgetExceededError), not answered with a made-up ending.
      if (!isRoot && BudgetExceededError.isInstance(error)) throw error;
      if (!(isRoot && endsOnCallTimeout(run, error)) && !isBudgetStop(run, error)) throw error;
      if (isRoot && current !== null) await recordStoppedStep(run, steps, current);
    }
    return await endWithoutFinal(loop, sessions.existing(), maxIterations);
  } finally {
    await holder.session?.dispose().catch(() => {});
  }
}

/**
 * The step of an iteration a budget stopped part-way (a model call cut by the time budget, a
 * refused call): what it spent so far is counted in it, so per-step usage still sums to the run's.
 */
async function recordStoppedStep(
  run: RunState,
  steps: ReasoningStep[],
  current: { iteration: number; started: number },
): Promise<void> {
  const limit = run.budget.exceededLimit ?? "budget";
  const output = `(stopped: the ${limit} limit was reached during this step)`;
  const step = takeStep(
    run,
    { iteration: current.iteration, modelText: "", output, started: current.started },
    true,
  );
  steps.push(step);
  await publishStep(run, step);
}

/** A sandbox variable as text, or why it could not be read (never throws). */
async function readVariable(
  session: SandboxSession | null,
  name: string,
): Promise<{ value?: string; error?: string }> {
  if (session === null) return {};
  try {
    const value = await session.getVar(name);
    return value === undefined ? {} : { value };
  } catch (error) {
    return { error: getErrorMessage(error) };
  }
}

interface LoopContext {
  run: RunState;
  input: LoopInput;
  isRoot: boolean;
  model: LanguageModel;
  instructions: string;
  messages: ModelMessage[];
  modelSettings: { maxOutputTokens: number; temperature?: number; topP?: number; seed?: number };
  steps: ReasoningStep[];
  signal: AbortSignal;
  what: string;
  /** The prompt texts the model was given, for the answer check's echo test. */
  wording: string[];
}

/**
 * The one way a loop ends without the model's own usable FINAL, whatever caused it. The root
 * loop records the limit (maxIterations when the turns ran out). When no hard limit (tokens,
 * cost, time) is spent, one last "answer now" turn is admitted and its answer used if it is one
 * (not empty, not code, not an echo of the prompt or question); otherwise the answer is
 * synthesised from the sources seen. The forced turn is a step of its own, with its usage and time.
 */
async function endWithoutFinal(
  loop: LoopContext,
  session: SandboxSession | null,
  maxIterations: number,
): Promise<LoopOutcome> {
  const { run, input, isRoot, steps } = loop;
  if (isRoot && !run.budget.exceeded) run.budget.markExceeded("maxIterations");
  run.checkAbort();
  const limit = run.budget.exceededLimit ?? "maxIterations";
  let answer: string | null = null;
  let truncated = false;
  if (mayForceFinal(run, limit) && !loop.signal.aborted) {
    const started = performance.now();
    const reason =
      limit === "maxIterations"
        ? `You have used all ${maxIterations} turns.`
        : `The ${limit} budget is used up.`;
    let reply: string | null = null;
    let finishReason = "stop";
    try {
      ({ text: reply, finishReason } = await run.callModelReply(
        loop.model,
        {
          instructions: loop.instructions,
          messages: [...loop.messages, { role: "user", content: forcedFinalMessage(reason) }],
          ...loop.modelSettings,
        },
        { signal: loop.signal, what: `${loop.what} (forced final answer)` },
      ));
    } catch (error) {
      run.checkAbort();
      if (!isBudgetStop(run, error) && !LLMProviderError.isInstance(error) && !isAbortError(error))
        throw error;
    }
    if (reply !== null) {
      // The forced turn's reply, for live views, under the number of the step it becomes.
      if (isRoot) run.emit({ type: "model-text", iteration: steps.length + 1, text: reply });
      const directive = findFinal(reply);
      let raw: string | undefined;
      if (directive?.kind === "answer") raw = directive.answer;
      else if (directive?.kind === "var") raw = (await readVariable(session, directive.name)).value;
      let cut = directive?.kind === "answer" && cutByCap(finishReason, directive);
      // Without FINAL, a reply is the answer only when it is plain prose: prose that goes on
      // into code ("Let me check. ```js ...") is the model still investigating.
      if (raw === undefined && extractCodeBlocks(reply).length === 0 && !reply.includes("```")) {
        raw = reply;
        cut = cutByCap(finishReason, null);
      }
      answer = usableAnswer(raw, input.query, loop.wording);
      truncated = answer !== null && cut;
    }
    if (isRoot) {
      const step = takeStep(
        run,
        { iteration: steps.length + 1, modelText: reply ?? "", started, final: true },
        true,
      );
      steps.push(step);
      await publishStep(run, step, false);
    }
  }
  answer ??= synthesizeAnswer(input.query, run.sortedSources(), limit);
  return {
    answer,
    steps,
    ending: run.budget.exceeded ? "budget" : "forced",
    ...(truncated ? { truncated: true } : {}),
  };
}

/** Code blocks run from one reply; the rest are reported as not run. */
export const MAX_BLOCKS_PER_TURN = 8;

async function runBlocks(
  run: RunState,
  sessions: { get(): Promise<SandboxSession> },
  reply: string,
  iteration: number,
  emit: boolean,
  signal: AbortSignal,
): Promise<{ outputs: string[]; final: string | undefined; code: string[] }> {
  const found = extractCodeBlocks(reply);
  const blocks = found.slice(0, MAX_BLOCKS_PER_TURN);
  const outputs: string[] = [];
  const code: string[] = [];
  // Each block gets its share of the turn's output, so every block's error reaches the model.
  const share = Math.max(300, Math.floor(run.engine.maxOutputChars / (blocks.length + 1)) - 80);
  const notRun = (from: number, why: string) => {
    if (from < found.length) {
      outputs.push(`[blocks ${from + 1}–${found.length} were not run: ${why}]`);
    }
  };
  for (const [index, block] of blocks.entries()) {
    run.checkAbort();
    code.push(block.code);
    if (emit) run.emit({ type: "code", iteration, index, code: block.code });
    const session = await sessions.get();
    const result = await session.run(block.code, { signal });
    if (emit) {
      run.emit({
        type: "code-output",
        iteration,
        index,
        output: result.output,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    const text = formatBlockResult(result, share);
    outputs.push(found.length > 1 ? `[block ${index + 1}]\n${text}` : text);
    if (result.final !== undefined) return { outputs, final: result.final, code };
    if (run.fatal || run.budget.exceeded || signal.aborted) break;
    if (result.limit === "timeout" || result.limit === "memory") {
      // A reply of many runaway blocks would cost a timeout each: one is enough to learn from.
      notRun(index + 1, "an earlier block was stopped by a limit");
      return { outputs, final: undefined, code };
    }
  }
  notRun(blocks.length, `at most ${MAX_BLOCKS_PER_TURN} blocks run per turn`);
  return { outputs, final: undefined, code };
}

/**
 * llmQuery: a child investigation when depth allows, else one sub-model call. Admitted by the
 * budget before anything goes out (a refusal throws `BudgetExceededError` into the sandbox and
 * is not recorded as a sub-call: nothing was sent). `signal` is the block's combined with the
 * loop's: stopping the block cancels the call or the child loop.
 */
async function subQuery(
  run: RunState,
  pool: SandboxPool,
  parent: LoopInput,
  prompt: string,
  signal: AbortSignal,
): Promise<string> {
  if (typeof prompt !== "string" || prompt.trim() === "")
    throw new TypeError("llmQuery(prompt): prompt must be a non-empty string");
  run.checkAbort();
  const depth = parent.depth + 1;
  const promptTokens = estimateTokens(prompt.length);
  run.budget.admitModelCall(
    depth <= run.engine.maxDepth ? "llmQuery (child investigation)" : "llmQuery",
    promptTokens,
    run.promptCost(run.engine.subModel ?? run.engine.model, promptTokens),
  );
  const started = performance.now();
  try {
    let response: string;
    if (depth <= run.engine.maxDepth) {
      const child = await runReplLoop(run, pool, {
        query: prompt,
        depth,
        storeSize: parent.storeSize,
        signal,
      });
      response = child.answer;
    } else {
      response = await run.callModel(
        run.engine.subModel ?? run.engine.model,
        {
          messages: [{ role: "user", content: prompt }],
          maxOutputTokens: run.engine.subMaxOutputTokens ?? CALL_DEFAULTS.subMaxOutputTokens,
        },
        { signal, what: "llmQuery" },
      );
    }
    run.recordSubCall({ prompt, response, depth, timeMs: Math.round(performance.now() - started) });
    return response;
  } catch (error) {
    run.recordSubCall({
      prompt,
      response: "",
      depth,
      timeMs: Math.round(performance.now() - started),
      error: getErrorMessage(error),
    });
    // Provider and store failures end the run even when model code catches them; refusals and
    // a stopped block do not.
    if (LLMProviderError.isInstance(error) || VectorStoreError.isInstance(error)) run.fatal ??= error;
    throw error;
  }
}

/**
 * llmQueryBatched: the prompts run through {@link subQuery} with at most `maxConcurrency` in
 * flight. Every prompt is admitted by the budget before it goes out; at the first failure
 * (a refusal included) no further prompt starts, the calls in flight finish, and the error is
 * thrown for the whole batch — the remaining prompts fail at once without calling the model.
 */
async function batchedSubQuery(
  run: RunState,
  pool: SandboxPool,
  parent: LoopInput,
  prompts: string[],
  signal: AbortSignal,
): Promise<string[]> {
  if (!Array.isArray(prompts))
    throw new TypeError("llmQueryBatched(prompts): prompts must be an array of strings");
  let answered = 0;
  try {
    return await mapConcurrent(prompts, run.engine.maxConcurrency, async (prompt) => {
      const response = await subQuery(run, pool, parent, prompt, signal);
      answered++;
      return response;
    });
  } catch (error) {
    if (BudgetExceededError.isInstance(error)) {
      throw new BudgetExceededError(
        error.limit,
        `${error.message} llmQueryBatched: ${answered} of ${prompts.length} prompts answered; the other ${prompts.length - answered} were not sent.`,
      );
    }
    throw error;
  }
}

/**
 * When the conversation nears the threshold, older turns are summarised by the sub-model into
 * the sandbox variable `history` and replaced by that summary, keeping the first question and
 * the last exchange verbatim.
 */
async function maybeCompact(
  run: RunState,
  session: SandboxSession | null,
  messages: ModelMessage[],
  input: LoopInput,
  signal: AbortSignal,
): Promise<void> {
  const threshold = run.engine.compactionThresholdTokens;
  if (!threshold || estimateTokens(promptChars({ messages })) < threshold) return;
  const historyCount = input.history?.length ?? 0;
  const firstTurn = historyCount + 1; // index after the first user message
  const keepTail = 2;
  if (messages.length - firstTurn <= keepTail + 1) return;
  const old = messages.slice(firstTurn, messages.length - keepTail);
  const transcript = old
    .map(
      (m) =>
        `${m.role.toUpperCase()}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`,
    )
    .join("\n\n");
  const summary = await run.callModel(
    run.engine.subModel ?? run.engine.model,
    {
      messages: [{ role: "user", content: compactionPrompt(transcript) }],
      maxOutputTokens: run.engine.subMaxOutputTokens ?? CALL_DEFAULTS.subMaxOutputTokens,
    },
    { signal, what: "compaction" },
  );
  await session?.setVar("history", summary);
  messages.splice(firstTurn, old.length, {
    role: "user",
    content: `Summary of the earlier turns${session ? " (also in the variable `history`)" : ""}:\n${summary}`,
  });
}
