import type { ModelUsage, PricingTable, UsageSummary } from "./types.ts";

export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd?: number;
}

/** Reads token counts from an AI SDK usage object (fields may be undefined). */
export function readUsage(
  usage:
    | {
        inputTokens?: number | undefined;
        outputTokens?: number | undefined;
        totalTokens?: number | undefined;
      }
    | undefined,
): CallUsage {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: usage?.totalTokens ?? inputTokens + outputTokens };
}

/**
 * Cost of one call: from the pricing table when it lists the model, else from a provider's
 * own report in provider metadata (gateways such as OpenRouter or the AI Gateway put a `cost`
 * number there), else unknown.
 */
export function callCost(
  modelId: string,
  usage: CallUsage,
  pricing: PricingTable | undefined,
  providerMetadata: unknown,
): number | undefined {
  const price = pricing?.[modelId];
  if (price) {
    return (
      (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000
    );
  }
  return findCost(providerMetadata, 0);
}

function findCost(value: unknown, depth: number): number | undefined {
  if (depth > 3 || typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key === "cost" || key === "costUsd" || key === "cost_usd") {
      const n = typeof inner === "string" ? Number(inner) : inner;
      if (typeof n === "number" && Number.isFinite(n)) return n;
    }
  }
  for (const inner of Object.values(value)) {
    const found = findCost(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Sums usage over every model call of a run (root, sub-LLM, child loops), per model. */
export class UsageAccumulator {
  private readonly byModel = new Map<string, ModelUsage>();

  add(modelId: string, usage: CallUsage): void {
    const entry = this.byModel.get(modelId) ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0 };
    entry.inputTokens += usage.inputTokens;
    entry.outputTokens += usage.outputTokens;
    entry.totalTokens += usage.totalTokens;
    entry.calls += 1;
    if (usage.costUsd !== undefined) entry.costUsd = (entry.costUsd ?? 0) + usage.costUsd;
    this.byModel.set(modelId, entry);
  }

  summary(): UsageSummary {
    const summary: UsageSummary = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };
    for (const [model, u] of this.byModel) {
      summary.byModel[model] = { ...u };
      summary.inputTokens += u.inputTokens;
      summary.outputTokens += u.outputTokens;
      summary.totalTokens += u.totalTokens;
      summary.calls += u.calls;
      if (u.costUsd !== undefined) summary.costUsd = (summary.costUsd ?? 0) + u.costUsd;
    }
    return summary;
  }
}
