import type { LanguageModel, ModelMessage } from "ai";
import { BudgetExceededError, isAbortError } from "./errors.ts";
import { extractCodeBlocks, extractPythonBlocks, findFinal, stripCodeBlocks, truncate } from "./parse.ts";
import {
  compactionPrompt,
  firstUserMessage,
  forcedFinalMessage,
  NO_CODE_NUDGE,
  type PromptContext,
  PYTHON_NUDGE,
  replOutputMessage,
  replSystemPrompt,
} from "./prompts.ts";
import type { RunState } from "./run-state.ts";
import type { SandboxPool, SandboxSession } from "./sandbox/types.ts";
import type { ReasoningStep } from "./types.ts";

export interface LoopInput {
  query: string;
  depth: number;
  storeSize: number | null;
  instructions?: string;
  history?: ModelMessage[];
  contextPrefix?: string;
  rootPrompt?: string;
}

export interface LoopOutcome {
  answer: string;
  steps: ReasoningStep[];
  /** How the loop ended. */
  ending: "final" | "forced" | "budget";
}

/** Limits that leave no room for another model call: the partial answer is built without one. */
const HARD_LIMITS = new Set(["maxTokens", "maxCostUsd", "maxTimeSeconds"]);

/**
 * The recursive loop: ask the model, run its code blocks in one sandbox for the whole
 * investigation, show it the output, repeat until FINAL, the iteration limit or the budget.
 */
export async function runReplLoop(run: RunState, pool: SandboxPool, input: LoopInput): Promise<LoopOutcome> {
  const engine = run.engine;
  const budgetIterations = run.budget.limits.maxIterations;
  const maxIterations = Math.min(engine.maxIterations, budgetIterations ?? Number.POSITIVE_INFINITY);
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
  const isRoot = input.depth === 1;
  const model: LanguageModel = isRoot ? engine.model : (engine.subModel ?? engine.model);
  const modelSettings = isRoot
    ? {
        ...(run.options.temperature !== undefined ? { temperature: run.options.temperature } : {}),
        ...(run.options.maxOutputTokens !== undefined
          ? { maxOutputTokens: run.options.maxOutputTokens }
          : {}),
      }
    : {};
  const messages: ModelMessage[] = [
    ...(input.history ?? []),
    {
      role: "user",
      content: firstUserMessage(input.query, promptCtx, input.contextPrefix, input.rootPrompt),
    },
  ];
  const steps: ReasoningStep[] = [];
  const session = await pool.createSession(
    {
      searchDb: (q, k, f) => run.searchForModel(q, k, f),
      llmQuery: (prompt) => subQuery(run, pool, input, prompt),
      llmQueryBatched: (prompts) => batchedSubQuery(run, pool, input, prompts),
    },
    { context: input.contextPrefix ?? "" },
  );

  try {
    for (let iteration = 1; iteration <= maxIterations; iteration++) {
      run.checkAbort();
      if (run.budget.check()) break;
      const started = performance.now();
      if (isRoot) {
        run.currentIteration = iteration;
        run.budget.iterations = iteration;
        run.stepUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
        run.stepSearches = [];
        run.stepSubCalls = [];
        run.emit({ type: "iteration-start", iteration });
        await run.hook("onIterationStart", run.ctx, iteration);
        await run.warnBudget();
      }

      let reply: string;
      try {
        reply = await run.callModel(model, { instructions, messages, ...modelSettings });
      } catch (error) {
        if (error instanceof BudgetExceededError) break;
        throw error;
      }
      if (isRoot) run.emit({ type: "model-text", iteration, text: reply });

      const { outputs, final, code } = await runBlocks(run, session, reply, iteration, isRoot);
      if (run.fatal) throw run.fatal;

      let answer = final;
      let finalNote: string | undefined;
      if (answer === undefined) {
        const directive = findFinal(reply);
        if (directive?.kind === "answer") answer = directive.answer;
        else if (directive?.kind === "var") {
          const value = await session.getVar(directive.name);
          if (value !== undefined) answer = value;
          else
            finalNote = `FINAL_VAR(${directive.name}): there is no variable named "${directive.name}". Define it in a repl block first, or use FINAL(answer).`;
        }
      }
      if (finalNote) outputs.push(finalNote);
      if (code.length === 0 && answer === undefined && !finalNote) {
        outputs.push(extractPythonBlocks(reply).length > 0 ? PYTHON_NUDGE : NO_CODE_NUDGE);
      }
      const output = truncate(outputs.join("\n\n"), engine.maxOutputChars);
      const step: ReasoningStep = {
        iteration,
        modelText: reply,
        code,
        output,
        searches: isRoot ? run.stepSearches : [],
        subLLMCalls: isRoot ? run.stepSubCalls : [],
        timeMs: Math.round(performance.now() - started),
        usage: isRoot ? { ...run.stepUsage } : { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        ...(answer !== undefined ? { final: true } : {}),
      };
      steps.push(step);
      if (isRoot) {
        run.emit({ type: "iteration-complete", step });
        await run.hook("onReasoningStep", run.ctx, step);
        await run.hook("onIterationComplete", run.ctx, step);
      }
      if (answer !== undefined) return { answer, steps, ending: "final" };
      if (run.budget.exceeded) break;

      messages.push(
        { role: "assistant", content: reply },
        { role: "user", content: replOutputMessage([output]) },
      );
      await maybeCompact(run, session, messages, input);
    }

    // Out of turns or over budget: one last "answer now" turn when the budget still allows a call.
    if (
      isRoot &&
      !run.budget.exceeded &&
      budgetIterations !== undefined &&
      budgetIterations <= engine.maxIterations
    ) {
      run.budget.markExceeded("maxIterations");
    }
    const limit = run.budget.exceededLimit;
    if (limit && HARD_LIMITS.has(limit)) {
      return { answer: "", steps, ending: "budget" };
    }
    const reason = limit ? `The ${limit} budget is used up.` : `You have used all ${maxIterations} turns.`;
    messages.push({ role: "user", content: forcedFinalMessage(reason) });
    let reply: string;
    try {
      reply = await run.callModel(model, { instructions, messages, ...modelSettings });
    } catch (error) {
      if (error instanceof BudgetExceededError || (isAbortError(error) && !run.userAborted)) {
        return { answer: "", steps, ending: "budget" };
      }
      throw error;
    }
    const directive = findFinal(reply);
    let answer: string | undefined;
    if (directive?.kind === "answer") answer = directive.answer;
    else if (directive?.kind === "var") answer = await session.getVar(directive.name);
    answer ??= stripCodeBlocks(reply).trim();
    if (isRoot) {
      const step: ReasoningStep = {
        iteration: steps.length + 1,
        modelText: reply,
        code: [],
        output: "",
        searches: [],
        subLLMCalls: [],
        timeMs: 0,
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        final: true,
      };
      steps.push(step);
      run.emit({ type: "iteration-complete", step });
      await run.hook("onReasoningStep", run.ctx, step);
    }
    return { answer, steps, ending: limit ? "budget" : "forced" };
  } finally {
    await session.dispose().catch(() => {});
  }
}

async function runBlocks(
  run: RunState,
  session: SandboxSession,
  reply: string,
  iteration: number,
  emit: boolean,
): Promise<{ outputs: string[]; final: string | undefined; code: string[] }> {
  const blocks = extractCodeBlocks(reply);
  const outputs: string[] = [];
  const code: string[] = [];
  for (const [index, block] of blocks.entries()) {
    run.checkAbort();
    code.push(block.code);
    if (emit) run.emit({ type: "code", iteration, index, code: block.code });
    const result = await session.run(block.code, { signal: run.signal });
    if (emit) {
      run.emit({
        type: "code-output",
        iteration,
        index,
        output: result.output,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    const parts = [result.output.trimEnd()];
    if (result.error) parts.push(`Error: ${result.error}`);
    const text = parts.filter(Boolean).join("\n") || "(no output)";
    outputs.push(blocks.length > 1 ? `[block ${index + 1}]\n${text}` : text);
    if (result.final !== undefined) return { outputs, final: result.final, code };
    if (run.fatal || run.budget.exceeded || run.signal.aborted) break;
  }
  return { outputs, final: undefined, code };
}

/** llmQuery: a child investigation when depth allows, else one sub-model call. */
async function subQuery(
  run: RunState,
  pool: SandboxPool,
  parent: LoopInput,
  prompt: string,
): Promise<string> {
  if (typeof prompt !== "string" || prompt.trim() === "")
    throw new TypeError("llmQuery(prompt): prompt must be a non-empty string");
  const started = performance.now();
  const depth = parent.depth + 1;
  try {
    let response: string;
    if (depth <= run.engine.maxDepth) {
      const child = await runReplLoop(run, pool, { query: prompt, depth, storeSize: parent.storeSize });
      response = child.answer;
    } else {
      response = await run.callModel(run.engine.subModel ?? run.engine.model, {
        messages: [{ role: "user", content: prompt }],
      });
    }
    run.recordSubCall({ prompt, response, depth, timeMs: Math.round(performance.now() - started) });
    return response;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    run.recordSubCall({
      prompt,
      response: "",
      depth,
      timeMs: Math.round(performance.now() - started),
      error: message,
    });
    if (!(error instanceof BudgetExceededError) && !(error instanceof TypeError)) run.fatal ??= error;
    throw error;
  }
}

async function batchedSubQuery(
  run: RunState,
  pool: SandboxPool,
  parent: LoopInput,
  prompts: string[],
): Promise<string[]> {
  if (!Array.isArray(prompts))
    throw new TypeError("llmQueryBatched(prompts): prompts must be an array of strings");
  const results: string[] = new Array(prompts.length);
  let next = 0;
  const worker = async () => {
    while (next < prompts.length) {
      const i = next++;
      results[i] = await subQuery(run, pool, parent, prompts[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.engine.maxConcurrency, prompts.length) }, worker));
  return results;
}

/** Rough token estimate (4 characters a token) — only used to decide when to compact. */
function estimateTokens(messages: ModelMessage[]): number {
  let chars = 0;
  for (const m of messages)
    chars += typeof m.content === "string" ? m.content.length : JSON.stringify(m.content).length;
  return Math.ceil(chars / 4);
}

/**
 * When the conversation nears the threshold, older turns are summarised by the sub-model into
 * the sandbox variable `history` and replaced by that summary, keeping the first question and
 * the last exchange verbatim.
 */
async function maybeCompact(
  run: RunState,
  session: SandboxSession,
  messages: ModelMessage[],
  input: LoopInput,
): Promise<void> {
  const threshold = run.engine.compactionThresholdTokens;
  if (!threshold || estimateTokens(messages) < threshold) return;
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
  const summary = await run.callModel(run.engine.subModel ?? run.engine.model, {
    messages: [{ role: "user", content: compactionPrompt(transcript) }],
  });
  await session.setVar("history", summary);
  messages.splice(firstTurn, old.length, {
    role: "user",
    content: `Summary of the earlier turns (also in the variable \`history\`):\n${summary}`,
  });
}
