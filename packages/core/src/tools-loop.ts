import { type ModelMessage, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { BudgetExceededError } from "./errors.ts";
import { findFinal } from "./parse.ts";
import { firstUserMessage, forcedFinalMessage, type PromptContext, toolsSystemPrompt } from "./prompts.ts";
import type { LoopInput, LoopOutcome } from "./repl-loop.ts";
import { toLLMProviderError } from "./retry.ts";
import { modelIdOf, type RunState } from "./run-state.ts";
import type { ReasoningStep } from "./types.ts";
import { callCost, readUsage } from "./usage.ts";

const searchInput = z.object({
  query: z.string().min(1).describe("What to look for, in natural language or keywords"),
  topK: z.number().int().min(1).max(50).optional().describe("How many passages to return"),
  filters: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Chroma-style metadata filter, e.g. {"source": "a.txt"}'),
});

/**
 * The "tools" strategy: the same investigation through native tool calling. The final answer
 * streams token by token as `answer-delta` events.
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
      content: firstUserMessage(input.query, promptCtx, input.contextPrefix, input.rootPrompt).replace(
        / Write a ```repl block\.$/,
        "",
      ),
    },
  ];
  const modelId = modelIdOf(engine.model);
  const steps: ReasoningStep[] = [];
  const stop = new AbortController();
  const signal = AbortSignal.any([run.signal, stop.signal]);
  let stepText = "";
  let stepStarted = performance.now();
  let iteration = 1;
  const beginStep = () => {
    run.currentIteration = iteration;
    run.budget.iterations = iteration;
    run.stepUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    run.stepSearches = [];
    run.stepSubCalls = [];
    stepText = "";
    stepStarted = performance.now();
    run.emit({ type: "iteration-start", iteration });
  };

  const result = streamText({
    model: engine.model,
    instructions: [toolsSystemPrompt(promptCtx), input.instructions].filter(Boolean).join("\n\n"),
    messages,
    tools: {
      searchDb: tool({
        description:
          "Search the document store. Returns passages with id, content, metadata and a score in [0, 1].",
        inputSchema: searchInput,
        execute: async ({ query, topK, filters }) => {
          try {
            const hits = await run.searchForModel(query, topK, filters);
            return hits.map((h) => ({ id: h.id, content: h.content, metadata: h.metadata, score: h.score }));
          } catch (error) {
            if (error instanceof BudgetExceededError) return { error: error.message };
            throw error;
          }
        },
      }),
    },
    stopWhen: stepCountIs(maxIterations),
    abortSignal: signal,
    maxRetries: engine.retry?.maxRetries ?? 3,
    ...(run.options.temperature !== undefined ? { temperature: run.options.temperature } : {}),
    ...(run.options.maxOutputTokens !== undefined ? { maxOutputTokens: run.options.maxOutputTokens } : {}),
  });

  let lastStepText = "";
  let streamError: unknown = null;
  beginStep();
  await run.hook("onIterationStart", run.ctx, iteration);
  try {
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") {
        stepText += part.text;
        run.emit({ type: "answer-delta", text: part.text });
      } else if (part.type === "error") {
        streamError = part.error;
        break;
      } else if (part.type === "finish-step") {
        const usage = readUsage(part.usage);
        const costUsd = callCost(modelId, usage, engine.pricing, part.providerMetadata);
        run.usage.add(modelId, { ...usage, ...(costUsd !== undefined ? { costUsd } : {}) });
        run.stepUsage = {
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          totalTokens: usage.totalTokens,
        };
        run.budget.addTokens(usage.totalTokens, costUsd);
        const step: ReasoningStep = {
          iteration,
          modelText: stepText,
          code: [],
          output: run.stepSearches
            .map((s) => `searchDb(${JSON.stringify(s.query)}) -> ${s.hits} hits`)
            .join("\n"),
          searches: run.stepSearches,
          subLLMCalls: [],
          timeMs: Math.round(performance.now() - stepStarted),
          usage: { ...run.stepUsage },
          ...(part.finishReason !== "tool-calls" ? { final: true } : {}),
        };
        steps.push(step);
        lastStepText = stepText;
        if (stepText) run.emit({ type: "model-text", iteration, text: stepText });
        run.emit({ type: "iteration-complete", step });
        await run.hook("onReasoningStep", run.ctx, step);
        await run.hook("onIterationComplete", run.ctx, step);
        await run.warnBudget();
        if (run.budget.check()) {
          stop.abort(new BudgetExceededError(run.budget.exceededLimit!));
          break;
        }
        if (part.finishReason === "tool-calls") {
          iteration++;
          beginStep();
          await run.hook("onIterationStart", run.ctx, iteration);
        }
      }
    }
  } catch (error) {
    if (!run.budget.exceeded) throw run.mapFailure(error, (e) => toLLMProviderError(e));
  }
  if (run.fatal) throw run.fatal;
  if (streamError && !run.budget.exceeded) throw run.mapFailure(streamError, (e) => toLLMProviderError(e));
  if (run.budget.exceeded) return { answer: lastStepText.trim(), steps, ending: "budget" };
  const last = steps[steps.length - 1];
  if (last && !last.final) {
    // The step limit stopped the model mid-investigation: one last call without tools.
    const response = await result.response;
    const reply = await run.callModel(engine.model, {
      instructions: [toolsSystemPrompt(promptCtx), input.instructions].filter(Boolean).join("\n\n"),
      messages: [
        ...messages,
        ...response.messages,
        { role: "user", content: forcedFinalMessage(`You have used all ${maxIterations} steps.`) },
      ],
    });
    const directive = findFinal(reply);
    const answer = directive?.kind === "answer" ? directive.answer : reply.trim();
    run.emit({ type: "answer-delta", text: answer });
    return { answer, steps, ending: "forced" };
  }
  return { answer: lastStepText.trim(), steps, ending: "final" };
}
