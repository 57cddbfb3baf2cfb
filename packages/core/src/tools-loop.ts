import { generateText, type ModelMessage, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import {
  answerPrefixCheck,
  answerProblem,
  cleanAnswer,
  promptWording,
  synthesizeAnswer,
  usableAnswer,
} from "./answer-check.ts";
import { callTimeoutError } from "./call-timeout.ts";
import { BudgetExceededError, isAbortError, LLMProviderError } from "./errors.ts";
import { cannotStream, promptChars, rootSampling, usageOrEstimate } from "./model-call.ts";
import { CALL_DEFAULTS } from "./options.ts";
import { findFinal } from "./parse.ts";
import {
  firstUserMessage,
  forcedFinalMessage,
  groundingBlock,
  type PromptContext,
  toolsSystemPrompt,
} from "./prompts.ts";
import { publishStep, takeStep } from "./reasoning-step.ts";
import {
  cutByCap,
  endsOnCallTimeout,
  isBudgetStop,
  type LoopInput,
  type LoopOutcome,
  mayForceFinal,
} from "./repl-loop.ts";
import { toLLMProviderError } from "./retry/index.ts";
import { retryingModel } from "./retrying-model.ts";
import { modelIdOf, type RunState } from "./run-state.ts";
import type { ReasoningStep } from "./types.ts";
import type { ReportedUsage } from "./usage.ts";

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
  usage: ReportedUsage;
  providerMetadata?: unknown;
}

/** Told to the model when its reply (no tool call) was not an answer; the investigation goes on. */
export function notAnAnswerMessage(problem: string): string {
  return `Your reply was not accepted as the answer: ${problem}. Use the searchDb tool if you need more evidence, or write the final answer to the question now, in your own words and plain text (no code), based on the passages you found.`;
}

/** Where what cannot be part of a usable answer starts: a fence, FINAL(, a tool call written as text. */
const NOT_ANSWER = /```|~~~|\bFINAL(?:_VAR)?\s*\(|<\/?tool_call>|^\s*\{/m;
/** How a line of code starts; such a line is held until it is complete and checked. */
const CODE_START =
  /^\s*(?:const|let|var|function|async|def|import|from|return|await|for|while|if|print|console|searchDb|search_db|llmQuery|llm_query|SHOW_VARS|[\w$.]+\()/;

/**
 * How much of a step's text (streamed so far) may be shown to the client before the step ends:
 * whole words up to the first thing that cannot be part of a usable answer (a code fence,
 * FINAL(, a line of code, a tool call written as text), and only while the text so far passes
 * `stillOpen` (see `answerPrefixCheck`: no placeholder, echo of the prompt or of the question in
 * progress). The rest waits for the step's end, when the whole text is checked. Returns an end
 * offset into `text`, 0 while nothing can be shown; leading whitespace is never shown.
 */
export function releasable(text: string, stillOpen: (prefix: string) => boolean): number {
  const lead = text.length - text.trimStart().length;
  let end = text.length;
  const stop = text.search(NOT_ANSWER);
  if (stop >= 0) end = stop;
  // The line in progress: held while it starts like code.
  const lineStart = text.lastIndexOf("\n", end - 1) + 1;
  if (!text.slice(lineStart).includes("\n") && CODE_START.test(text.slice(lineStart, end))) end = lineStart;
  // The last word may still be growing (or be the start of "FINAL(").
  // Whole words only (with the space after them, so chunks keep the model's own boundaries).
  if (end === text.length)
    end = Math.max(text.lastIndexOf(" ", end - 1), text.lastIndexOf("\n", end - 1)) + 1;
  if (end <= lead) return 0;
  return stillOpen(text.slice(lead, end)) ? 0 : end;
}

/**
 * The answer a final step's text gives: FINAL(...)'s argument when it wrote one, else the text;
 * `cut` when the step stopped at the output-token cap (`finishReason` "length") while the answer
 * ran to the end of the text.
 */
function answerOf(text: string, finishReason: string): { answer: string; cut: boolean } {
  const directive = findFinal(text);
  return directive?.kind === "answer"
    ? { answer: directive.answer, cut: cutByCap(finishReason, directive) }
    : { answer: text, cut: cutByCap(finishReason, null) };
}

/**
 * The "tools" strategy: the same investigation through native tool calling. Each step (model
 * call) is admitted by the budget: the step loop stops before a step when tokens, cost or time
 * are spent. The reply streams from the backend (text as `answer-delta` events, held back from
 * anything that cannot be part of a usable answer until the step ends and its text is accepted);
 * a backend that cannot stream tool calls is asked again without streaming (`generateText`).
 * Every request has the per-call timeout from the moment it is sent and the output-token cap,
 * goes through the run's retry path, and its usage (estimated when the backend sends none) and
 * time are counted. A reply that is not an answer (empty, code, an echo of the prompt) is
 * not taken: the model is told so and the investigation goes on, up to maxIterations steps. A
 * run that ends without the model's own answer (step limit, budget) ends like the repl
 * strategy's: a validated forced answer or one synthesised from the sources, the limit recorded.
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
  const firstMessage = firstUserMessage(
    input.query,
    promptCtx,
    input.contextPrefix,
    input.rootPrompt,
    input.grounding,
  ).replace(/ Write a ```repl block\.$/, "");
  const messages: ModelMessage[] = [...(input.history ?? []), { role: "user", content: firstMessage }];
  const instructions = [toolsSystemPrompt(promptCtx), input.instructions].filter(Boolean).join("\n\n");
  const wording = promptWording(instructions, firstMessage, [
    groundingBlock(input.grounding ?? []),
    input.contextPrefix,
    input.query,
  ]);
  const stillOpen = answerPrefixCheck(input.query, wording);
  const maxOutputTokens =
    run.options.maxOutputTokens ?? engine.maxOutputTokens ?? CALL_DEFAULTS.maxOutputTokens;
  const timeoutMs = engine.callTimeoutMs ?? CALL_DEFAULTS.callTimeoutMs;
  const modelId = modelIdOf(engine.model);
  const steps: ReasoningStep[] = [];
  // The conversation the next round of steps is sent (grows with each round's messages).
  const conversation: ModelMessage[] = [...messages];
  // Characters the model has been sent beyond the first prompt (tool results, earlier steps).
  let extraChars = 0;
  const baseChars = promptChars({ instructions, messages });

  let iteration = 0;
  let stepText = "";
  let stepStarted = performance.now();
  // Of the current step's text: the end offset shown so far (as `answer-delta`), and where it began.
  let shownEnd = 0;
  let shownStart = 0;
  // The text of the last step that ended without a tool call (the model's reply), or null.
  let finalText: string | null = null;
  let finalFinishReason = "stop";
  let finalShown = "";
  const beginStep = async () => {
    iteration++;
    run.currentIteration = iteration;
    run.budget.iterations = iteration;
    stepText = "";
    shownEnd = 0;
    shownStart = 0;
    stepStarted = performance.now();
    run.emit({ type: "iteration-start", iteration });
    await run.hook("onIterationStart", run.ctx, iteration);
  };
  const onDelta = (delta: string) => {
    stepText += delta;
    const end = releasable(stepText, stillOpen);
    if (shownEnd === 0 && end > 0) shownStart = stepText.length - stepText.trimStart().length;
    if (end > Math.max(shownEnd, shownStart)) {
      run.emit({ type: "answer-delta", text: stepText.slice(Math.max(shownEnd, shownStart), end) });
      shownEnd = end;
    }
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
    await publishStep(run, step);
    await run.warnBudget();
    finalText = final ? end.text : null;
    finalFinishReason = end.finishReason;
    finalShown = final && shownEnd > 0 ? end.text.slice(shownStart, shownEnd) : "";
  };

  // Every request goes through the run's retry path (engine.retry, budget admission of each
  // retry, onError) and is bounded by callTimeoutMs from the moment it is sent.
  const timedOut = () => callTimeoutError(timeoutMs);
  const model = retryingModel(
    engine.model,
    (call, requestSignal) => run.retryModelCall("root model turn", requestSignal ?? run.signal, call),
    {
      timeoutMs,
      error: timedOut,
      // A request cut by its timeout was spent all the same: counted (estimated).
      onCut: (chars, text) =>
        run.recordUsage(modelId, usageOrEstimate(undefined, chars, text).usage, undefined),
    },
  );
  const tools = {
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
  };
  const settingsFor = (remaining: number) => ({
    model,
    instructions,
    messages: conversation,
    tools,
    // Admission before every step: none starts once a hard limit is spent.
    stopWhen: [stepCountIs(remaining), () => run.budget.spentHardLimit() !== null],
    abortSignal: run.signal,
    maxRetries: 0,
    maxOutputTokens,
    ...rootSampling(run.options),
  });

  /** One streamed round of steps (until a reply without a tool call, or `remaining` steps). */
  const streamRound = async (remaining: number) => {
    const result = streamText({ ...settingsFor(remaining), onError: () => {} });
    let stepOpen = false;
    for await (const part of result.fullStream) {
      if (part.type === "start-step") {
        await beginStep();
        stepOpen = true;
      } else if (part.type === "text-delta") {
        onDelta(part.text);
      } else if (part.type === "error") {
        throw part.error;
      } else if (part.type === "finish-step") {
        stepOpen = false;
        await endStep({
          text: stepText,
          finishReason: part.finishReason,
          usage: part.usage,
          providerMetadata: part.providerMetadata,
        });
      }
    }
    if (run.signal.aborted) throw run.signal.reason;
    if (stepOpen) {
      // A stream that ended without a finish: what it said is its reply, counted by estimate.
      await endStep({ text: stepText, finishReason: "stop", usage: {} });
    }
    return (await result.responseMessages) as ModelMessage[];
  };
  /** The same round without streaming, for a backend that cannot stream tool calls. */
  const generateRound = async (remaining: number) => {
    const result = await generateText({
      ...settingsFor(remaining),
      onStepStart: () => beginStep(),
      onStepEnd: async (step: StepEnd) => {
        stepText = step.text;
        await endStep(step);
      },
    });
    return result.responseMessages as ModelMessage[];
  };

  let answer: string | null = null;
  let truncated = false;
  let streamedAnswer = "";
  let streaming = true;
  try {
    for (;;) {
      run.budget.admitModelCall("root model turn");
      const before = iteration;
      const remaining = maxIterations - iteration;
      finalText = null;
      let roundMessages: ModelMessage[];
      try {
        roundMessages = streaming ? await streamRound(remaining) : await generateRound(remaining);
      } catch (error) {
        if (!streaming || steps.length > 0 || shownEnd > 0 || run.signal.aborted || !cannotStream(error))
          throw error;
        // The backend cannot stream tool calls: the same request without streaming, from now on.
        streaming = false;
        iteration = before;
        roundMessages = await generateRound(remaining);
      }
      if (finalText !== null) {
        const given = answerOf(finalText, finalFinishReason);
        const problem = answerProblem(given.answer, input.query, wording);
        if (problem === null) {
          answer = cleanAnswer(given.answer);
          truncated = given.cut;
          // What was shown of the reply is the start of the answer: the rest follows it.
          if (finalShown !== "" && answer.startsWith(finalShown.trimEnd())) {
            if (answer.length > finalShown.length)
              run.emit({ type: "answer-delta", text: answer.slice(finalShown.length) });
          } else {
            run.emit({ type: "answer-delta", text: answer });
          }
          streamedAnswer = answer;
          break;
        }
        // Not an answer: the model is told why and the investigation goes on, while steps remain.
        if (iteration >= maxIterations || run.budget.spentHardLimit() !== null) break;
        const note = notAnAnswerMessage(problem);
        conversation.push(...roundMessages, { role: "user", content: note });
        extraChars += note.length;
        continue;
      }
      // The round stopped on a tool call: the steps ran out, or a hard limit stopped the loop.
      if (iteration >= maxIterations || iteration === before || run.budget.spentHardLimit() !== null) break;
      conversation.push(...roundMessages);
    }
  } catch (error) {
    if (!endsOnCallTimeout(run, error) && !isBudgetStop(run, error)) {
      if (run.fatal) throw run.fatal;
      throw run.mapFailure(error, (e) => toLLMProviderError(e));
    }
  }
  if (run.fatal) throw run.fatal;
  run.checkAbort();

  if (answer !== null) {
    return {
      answer,
      steps,
      ending: run.budget.exceeded ? "budget" : "final",
      streamedAnswer,
      ...(truncated ? { truncated: true } : {}),
    };
  }
  // No usable answer from the model: every step was used, or a budget stopped the run.
  if (!run.budget.exceeded) run.budget.markExceeded("maxIterations");
  const limit = run.budget.exceededLimit ?? "maxIterations";
  let forced: string | null = null;
  if (mayForceFinal(run, limit)) {
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
    let finishReason = "stop";
    try {
      ({ text: reply, finishReason } = await run.callModelReply(
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
      ));
    } catch (error) {
      run.checkAbort();
      if (!isBudgetStop(run, error) && !LLMProviderError.isInstance(error) && !isAbortError(error))
        throw error;
    }
    if (reply !== null) {
      // The forced turn's reply, for live views, under the number of the step it becomes.
      run.emit({ type: "model-text", iteration: steps.length + 1, text: reply });
      const directive = findFinal(reply);
      const raw = directive?.kind === "answer" ? directive.answer : reply.includes("```") ? undefined : reply;
      forced = usableAnswer(raw, input.query, wording);
      truncated = forced !== null && cutByCap(finishReason, directive?.kind === "answer" ? directive : null);
    }
    const step = takeStep(
      run,
      { iteration: steps.length + 1, modelText: reply ?? "", started, final: true },
      true,
    );
    steps.push(step);
    await publishStep(run, step, false);
  }
  const final = forced ?? synthesizeAnswer(input.query, run.sortedSources(), limit);
  return {
    answer: cleanAnswer(final) || final,
    steps,
    ending: "budget",
    streamedAnswer: "",
    ...(truncated ? { truncated: true } : {}),
  };
}
