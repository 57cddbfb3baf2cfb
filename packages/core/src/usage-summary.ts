import type { UsageSummary } from "./types.ts";
import { addTokens, type CallUsage, callCost, readUsage } from "./usage.ts";

/**
 * Adds one model call to a call's `UsageSummary` (tokens — cache-read and reasoning tokens when
 * reported —, calls, cost in USD when priced), in
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
  addTokens(usage, call);
  usage.calls += 1;
  if (cost !== undefined) usage.costUsd = (usage.costUsd ?? 0) + cost;
  const own = usage.byModel[modelId] ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0 };
  usage.byModel[modelId] = own;
  addTokens(own, call);
  own.calls += 1;
  if (cost !== undefined) own.costUsd = (own.costUsd ?? 0) + cost;
}
