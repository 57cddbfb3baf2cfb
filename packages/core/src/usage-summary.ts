import type { UsageSummary } from "./types.ts";
import { type CallUsage, callCost, readUsage } from "./usage.ts";

/**
 * Adds one model call to a call's `UsageSummary` (tokens, calls, cost in USD when priced), in
 * total and under `modelId`: for the engine's direct calls (`structure`, `complete`), which are
 * not part of a run. `addCallUsage` reads the AI SDK's reported usage first.
 */
export function addCallUsage(
  usage: UsageSummary,
  modelId: string,
  reported: Parameters<typeof readUsage>[0],
  pricing: Parameters<typeof callCost>[2],
  result: { providerMetadata?: unknown },
): void {
  addUsage(usage, modelId, readUsage(reported), pricing, result.providerMetadata);
}

export function addUsage(
  usage: UsageSummary,
  modelId: string,
  call: CallUsage,
  pricing: Parameters<typeof callCost>[2],
  providerMetadata: unknown,
): void {
  const cost = callCost(modelId, call, pricing, providerMetadata);
  usage.inputTokens += call.inputTokens;
  usage.outputTokens += call.outputTokens;
  usage.totalTokens += call.totalTokens;
  usage.calls += 1;
  if (cost !== undefined) usage.costUsd = (usage.costUsd ?? 0) + cost;
  const own = usage.byModel[modelId] ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0 };
  usage.byModel[modelId] = own;
  own.inputTokens += call.inputTokens;
  own.outputTokens += call.outputTokens;
  own.totalTokens += call.totalTokens;
  own.calls += 1;
  if (cost !== undefined) own.costUsd = (own.costUsd ?? 0) + cost;
}
