import type { ModelUsage, PricingTable, TokenUsage, UsageSummary } from "./types.ts";

/**
 * One model call's tokens. `cachedInputTokens` and `reasoningTokens` are set only when the
 * provider reported them (see {@link TokenUsage}); absent means unknown, not 0.
 */
export interface CallUsage extends TokenUsage {
  costUsd?: number;
}

/**
 * The part of the AI SDK's usage object (v7 `LanguageModelUsage`, from `generateText`'s
 * `usage`/`totalUsage`, a stream's `finish`/`finish-step` part or `onStepEnd`) DeepRecall reads.
 * Every field may be missing: backends report what they know.
 */
export interface ReportedUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  totalTokens?: number | undefined;
  inputTokenDetails?: { cacheReadTokens?: number | undefined } | undefined;
  outputTokenDetails?: { reasoningTokens?: number | undefined } | undefined;
}

const known = (n: number | undefined): n is number => typeof n === "number" && Number.isFinite(n);

/**
 * The cache-read and reasoning token counts of a reported usage, each only when the provider
 * reported it (`inputTokenDetails.cacheReadTokens`, `outputTokenDetails.reasoningTokens`).
 * `input` / `output` false leave that side out (its tokens were estimated, not reported).
 */
export function usageDetails(
  usage: ReportedUsage | undefined,
  sides: { input: boolean; output: boolean } = { input: true, output: true },
): Pick<TokenUsage, "cachedInputTokens" | "reasoningTokens"> {
  const cached = usage?.inputTokenDetails?.cacheReadTokens;
  const reasoning = usage?.outputTokenDetails?.reasoningTokens;
  return {
    ...(sides.input && known(cached) ? { cachedInputTokens: cached } : {}),
    ...(sides.output && known(reasoning) ? { reasoningTokens: reasoning } : {}),
  };
}

/** Reads token counts from an AI SDK usage object (fields may be undefined). */
export function readUsage(usage: ReportedUsage | undefined): CallUsage {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: usage?.totalTokens ?? inputTokens + outputTokens,
    ...usageDetails(usage),
  };
}

/** A sum of counts that may be unknown: unknown only when both are. */
function addKnown(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

/**
 * Adds `add`'s tokens into `into` (input, output, total, and the cache-read and reasoning
 * counts, which stay absent until some added usage reports them).
 */
export function addTokens(into: TokenUsage, add: TokenUsage): void {
  into.inputTokens += add.inputTokens;
  into.outputTokens += add.outputTokens;
  into.totalTokens += add.totalTokens;
  const cached = addKnown(into.cachedInputTokens, add.cachedInputTokens);
  if (cached !== undefined) into.cachedInputTokens = cached;
  const reasoning = addKnown(into.reasoningTokens, add.reasoningTokens);
  if (reasoning !== undefined) into.reasoningTokens = reasoning;
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
    addTokens(entry, usage);
    entry.calls += 1;
    if (usage.costUsd !== undefined) entry.costUsd = (entry.costUsd ?? 0) + usage.costUsd;
    this.byModel.set(modelId, entry);
  }

  summary(): UsageSummary {
    const summary: UsageSummary = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {} };
    for (const [model, u] of this.byModel) {
      summary.byModel[model] = { ...u };
      addTokens(summary, u);
      summary.calls += u.calls;
      if (u.costUsd !== undefined) summary.costUsd = (summary.costUsd ?? 0) + u.costUsd;
    }
    return summary;
  }
}
