import { generateText, type ModelMessage, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { cleanAnswer, synthesizeAnswer, usableAnswer } from "./answer-check.ts";
import { HARD_LIMITS } from "./budget.ts";
import { BudgetExceededError, isAbortError, LLMProviderError } from "./errors.ts";
import { cannotStream, promptChars, usageOrEstimate } from "./model-call.ts";
import { CALL_DEFAULTS } from "./options.ts";
import { findFinal } from "./parse.ts";
import { firstUserMessage, forcedFinalMessage, type PromptContext, toolsSystemPrompt } from "./prompts.ts";
import { takeStep } from "./reasoning-step.ts";
import { isBudgetStop, type LoopInput, type LoopOutcome } from "./repl-loop.ts";
import { toLLMProviderError } from "./retry/index.ts";
import { retryingModel } from "./retrying-model.ts";
import { modelIdOf, type RunState } from "./run-state.ts";
import type { ReasoningStep } from "./types.ts";

const searchInput = z.object({
  query: z.string().min(1).describe("What to look for, in natural language or keywords"),
  topK: z.number().int().min(1).max(50).optional().describe("How many passages to return"),
  filters: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Chroma-style metadata filter, e.g. {"source": "a.txt"}'),
});

/** A step as the AI SDK reports it at its end (streamed `finish-step` or `onStepEnd`). */
interface StepEnd {
  text: string;
  finishReason: string;
  usage: {
    inputTokens?: number | undefined;
    outputTokens?: number | undefined;
    totalTokens?: number | undefined;
  };
  providerMetadata?: unknown;
}

/**
 * The "tools" strategy: the same investigation through native tool calling. Each step (model
 * call) is admitted by the budget: the step loop stops before a step when tokens, cost or time
 * are spent. The reply streams from the backend (text as `answer-delta` events); a backend that
 * cannot stream tool calls is asked again without streaming (`generateText`). Every step has
 * the per-call timeout and the output-token cap, and its usage (estimated when the backend
 * sends none) and time are counted. A run that ends without the model's own answer (step limit,
 * budget) ends like the repl strategy's: a validated forced answer or one synthesised from the
 * sources, with the limit recorded.
 */
export async function runToolsLoop(run: RunState, input: LoopInput): Promise<LoopOutcome> {
  const engine = run.engine;
  const maxIterations = Math.min(
    engine.maxIterations,
    run.budget.limits.maxIterations ?? Number.POSITIVE_INFINITY,
  );
  const promptCtx: PromptContext = {
    storeName: engine.vectorStore.name,
    documentCount: input.storeSize,
    topK: run.options.topK ?? engine.topK,
    maxIterations,
    depth: 1,
    maxDepth: 1,
  };
  const messages: ModelMessage[] = [
    ...(input.history ?? []),
    {
      role: "user",
      content: firstUserMessage(
        input.query,
        promptCtx,
        input.contextPrefix,
        input.rootPrompt,
        input.grounding,
      ).replace(/ Write a ```repl block\.$/, ""),
    },
  ];
  const instructions = [toolsSystemPrompt(promptCtx), input.instructions].filter(Boolean).join("\n\n");
  const maxOutputTokens =
    run.options.maxOutputTokens ?? engine.maxOutputTokens ?? CALL_DEFAULTS.maxOutputTokens;
  const timeoutMs = engine.callTimeoutMs ?? CALL_DEFAULTS.callTimeoutMs;
  const modelId = modelIdOf(engine.model);
  const steps: ReasoningStep[] = [];
  let streamed = "";
  let finalText: string | null = null;
  // Characters the model has been sent beyond the first prompt (tool results, earlier steps).
  let extraChars = 0;
  const baseChars = promptChars({ instructions, messages });

  let iteration = 0;
  let stepText = "";
  let stepStarted = performance.now();
  const beginStep = async () => {
    iteration++;
    run.currentIteration = iteration;
    run.budget.iterations = iteration;
    stepText = "";
    stepStarted = performance.now();
    run.emit({ type: "iteration-start", iteration });
    await run.hook("onIterationStart", run.ctx, iteration);
  };
  const endStep = async (end: StepEnd) => {
    const { usage } = usageOrEstimate(end.usage, baseChars + extraChars, end.text);
    run.recordUsage(modelId, usage, end.providerMetadata);
    extraChars += end.text.length;
    const final = end.finishReason !== "tool-calls";
    const output = run.stepSearches
      .map((s) => `searchDb(${JSON.stringify(s.query)}) -> ${s.hits} hits`)
      .join("\n");
    const step = takeStep(run, { iteration, modelText: end.text, output, started: stepStarted, final }, true);
    steps.push(step);
    if (end.text) run.emit({ type: "model-text", iteration, text: end.text });
    run.emit({ type: "iteration-complete", step });
    await run.hook("onReasoningStep", run.ctx, step);
    await run.hook("onIterationComplete", run.ctx, step);
    await run.warnBudget();
    if (final) finalText = end.text;
  };

  // Per-step timeout: restarted when a step starts, cleared when it ends.
  const stepTimer = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const armTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => stepTimer.abort(new DOMException("model call timed out", "TimeoutError")),
      timeoutMs,
    );
  };
  const signal = AbortSignal.any([run.signal, stepTimer.signal]);
  // Every step's request goes through the run's retry path (engine.retry, budget admission of
  // each retry, onError); each retry gets a fresh step timeout.
  const model = retryingModel(engine.model, (call, requestSignal) =>
    run.retryModelCall("root model turn", requestSignal ?? signal, (attempt) => {
      if (attempt > 1) armTimer();
      return call();
    }),
  );
  const settings = {
    model,
    instructions,
    messages,
    tools: {
      searchDb: tool({
        description:
          "Search the document store. Returns passages with id, content, metadata and a score in [0, 1].",
        inputSchema: searchInput,
        execute: async ({ query, topK, filters }) => {
          try {
            const hits = await run.searchForModel(query, topK, filters);
            const out = hits.map((h) => ({
              id: h.id,
              content: h.content,
              metadata: h.metadata,
              score: h.score,
            }));
            extraChars += JSON.stringify(out).length;
            return out;
          } catch (error) {
            if (BudgetExceededError.isInstance(error)) return { error: error.message };
            throw error;
          }
        },
      }),
    },
    // Admission before every step: none starts once a hard limit is spent.
    stopWhen: [stepCountIs(maxIterations), () => run.budget.spentHardLimit() !== null],
    abortSignal: signal,
    maxRetries: 0,
    maxOutputTokens,
    ...(run.options.temperature !== undefined ? { temperature: run.options.temperature } : {}),
  };

  const timedOut = () =>
    new LLMProviderError(
      `LLM provider error: the model call timed out after ${Math.round(timeoutMs / 100) / 10} s (callTimeoutMs)`,
      { retryable: true },
    );

  try {
    run.budget.admitModelCall("root model turn");
    let fallback = false;
    try {
      const result = streamText({ ...settings, onError: () => {} });
      let stepOpen = false;
      for await (const part of result.fullStream) {
        if (part.type === "start-step") {
          await beginStep();
          stepOpen = true;
          armTimer();
        } else if (part.type === "text-delta") {
          stepText += part.text;
          streamed += part.text;
          run.emit({ type: "answer-delta", text: part.text });
        } else if (part.type === "error") {
          throw part.error;
        } else if (part.type === "finish-step") {
          clearTimeout(timer);
          stepOpen = false;
          await endStep({
            text: stepText,
            finishReason: part.finishReason,
            usage: part.usage,
            providerMetadata: part.providerMetadata,
          });
          if (part.finishReason === "tool-calls") streamed = "";
        }
      }
      if (stepOpen && !signal.aborted && stepText) {
        // A stream that ended without a finish: keep what it said, counted by estimate.
        await endStep({ text: stepText, finishReason: "stop", usage: {} });
      }
      if (stepTimer.signal.aborted && !run.signal.aborted) throw timedOut();
      if (run.signal.aborted) throw run.signal.reason;
    } catch (error) {
      if (steps.length === 0 && streamed === "" && !signal.aborted && cannotStream(error)) fallback = true;
      else throw error;
    }
    if (fallback) {
      // The backend cannot stream tool calls: the same request without streaming.
      streamed = "";
      iteration = 0;
      await beginStep();
      armTimer();
      const result = await generateText({
        ...settings,
        onStepEnd: async (step: StepEnd) => {
          clearTimeout(timer);
          stepText = step.text;
          await endStep(step);
          if (step.finishReason === "tool-calls") {
            await beginStep();
            armTimer();
          }
        },
      }).catch((error: unknown) => {
        if (stepTimer.signal.aborted && !run.signal.aborted) throw timedOut();
        throw error;
      });
      void result;
    }
  } catch (error) {
    clearTimeout(timer);
    if (!isBudgetStop(run, error)) {
      if (run.fatal) throw run.fatal;
      if (stepTimer.signal.aborted && !run.signal.aborted) throw timedOut();
      throw run.mapFailure(error, (e) => toLLMProviderError(e));
    }
  } finally {
    clearTimeout(timer);
  }
  if (run.fatal) throw run.fatal;
  run.checkAbort();

  const answer = finalText !== null ? usableAnswer(finalText, input.query) : null;
  if (answer !== null) {
    return { answer, steps, ending: run.budget.exceeded ? "budget" : "final", streamedAnswer: streamed };
  }
  // No usable answer from the model: the step limit, a budget, or an empty/echo reply.
  if (!run.budget.exceeded) run.budget.markExceeded("maxIterations");
  const limit = run.budget.exceededLimit ?? "maxIterations";
  let forced: string | null = null;
  if (!HARD_LIMITS.has(limit) && run.budget.spentHardLimit() === null) {
    const started = performance.now();
    const reason =
      limit === "maxIterations"
        ? `You have used all ${maxIterations} steps.`
        : `The ${limit} budget is used up.`;
    const transcript = steps
      .map((s) => [s.modelText, s.output].filter(Boolean).join("\n"))
      .filter(Boolean)
      .join("\n\n");
    let reply: string | null = null;
    try {
      reply = await run.callModel(
        engine.model,
        {
          instructions,
          messages: [
            ...messages,
            ...(transcript ? [{ role: "assistant" as const, content: transcript }] : []),
            { role: "user", content: forcedFinalMessage(reason) },
          ],
          maxOutputTokens,
        },
        { what: "root model turn (forced final answer)" },
      );
    } catch (error) {
      run.checkAbort();
      if (!isBudgetStop(run, error) && !LLMProviderError.isInstance(error) && !isAbortError(error))
        throw error;
    }
    if (reply !== null) {
      const directive = findFinal(reply);
      const raw = directive?.kind === "answer" ? directive.answer : reply.includes("```") ? undefined : reply;
      forced = usableAnswer(raw, input.query);
    }
    const step = takeStep(
      run,
      { iteration: steps.length + 1, modelText: reply ?? "", started, final: true },
      true,
    );
    steps.push(step);
    run.emit({ type: "iteration-complete", step });
    await run.hook("onReasoningStep", run.ctx, step);
  }
  const final = forced ?? synthesizeAnswer(input.query, run.sortedSources(), limit);
  return { answer: cleanAnswer(final) || final, steps, ending: "budget", streamedAnswer: "" };
}
