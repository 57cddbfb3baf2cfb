import {
  ConfigError,
  type DeepRecallResult,
  type EngineEvent,
  type MetadataFilter,
  plural,
} from "@deeprecall/core";
import { composeEngine } from "../compose.ts";
import { formatDuration, type Io, indent, truncate } from "../output.ts";
import { type CommandContext, loadConfig } from "./common.ts";

export function parseFilters(raw: unknown): MetadataFilter | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(String(raw)) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as MetadataFilter;
  } catch (error) {
    throw new ConfigError(
      `--filters: expected a JSON object such as '{"source":"a.md"}', got ${JSON.stringify(String(raw))} (${(error as Error).message})`,
      {
        field: "filters",
      },
    );
  }
}

/** Live reasoning for --verbose, on stderr so stdout stays the answer. */
export function printEvent(io: Io, event: EngineEvent): void {
  switch (event.type) {
    case "iteration-start":
      io.err(`── iteration ${event.iteration}`);
      break;
    case "code":
      io.err(`  code [${event.index + 1}]:\n${indent(event.code.trimEnd(), "    │ ")}`);
      break;
    case "code-output":
      if (event.error) io.err(`  error: ${truncate(event.error, 300)}`);
      if (event.output.trim()) io.err(`  output:\n${indent(truncate(event.output, 600), "    ")}`);
      break;
    case "search":
      io.err(
        `  search ${JSON.stringify(event.search.query)} (topK ${event.search.topK}) → ${plural(event.search.hits, "hit")}${event.search.cached ? " (cached)" : ""}`,
      );
      break;
    case "sub-llm":
      io.err(
        `  llmQuery ${JSON.stringify(truncate(event.call.prompt, 80))} → ${truncate(event.call.response, 120)}`,
      );
      break;
    case "budget-warning":
      io.err(`  budget: ${event.message}`);
      break;
    default:
      break;
  }
}

export function printResult(io: Io, result: DeepRecallResult): void {
  io.out(result.answer.trim() || "(no answer)");
  io.out("");
  if (result.sources.length > 0) {
    io.out("Sources:");
    result.sources.slice(0, 10).forEach((s, i) => {
      const label = typeof s.metadata.source === "string" ? s.metadata.source : s.id;
      const chunk = typeof s.metadata.chunk === "number" ? ` #${s.metadata.chunk}` : "";
      io.out(`  [${i + 1}] ${label}${chunk}  score ${s.score.toFixed(3)}`);
      io.out(`      ${truncate(s.content, 140)}`);
    });
    if (result.sources.length > 10) io.out(`  ... and ${result.sources.length - 10} more`);
  } else {
    io.out("Sources: none");
  }
  const confidence = result.confidence === null ? "n/a" : result.confidence.toFixed(2);
  io.out(
    `Steps: ${result.reasoningTrace.length} · Time: ${formatDuration(result.executionTimeMs)} · LLM calls: ${result.usage.calls} · ` +
      `Tokens: ${result.usage.totalTokens}${result.usage.costUsd !== undefined ? ` · Cost: $${result.usage.costUsd.toFixed(4)}` : ""} · Confidence: ${confidence}`,
  );
}

export async function runQuery(
  ctx: CommandContext,
  question: string,
  opts: Record<string, unknown>,
): Promise<void> {
  if (!question?.trim())
    throw new ConfigError('query: give a question, e.g. deeprecall query "What changed in 2024?"');
  const { config } = loadConfig(ctx, opts);
  const filters = parseFilters(opts.filters);
  const composition = await composeEngine(config, {
    requireLlm: true,
    throughServer: true,
    log: (line) => ctx.io.err(line),
  });
  const { io } = ctx;
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSigint);
  try {
    const options = { ...(filters ? { filters } : {}), signal: controller.signal };
    const run = async (): Promise<DeepRecallResult> => {
      if (!opts.verbose) return composition.engine.query(question, options);
      let final: DeepRecallResult | undefined;
      for await (const event of composition.engine.stream(question, options)) {
        printEvent(io, event);
        if (event.type === "result") final = event.result;
      }
      if (!final) throw new Error("the run ended without a result");
      return final;
    };
    const result = await run();
    if (opts.json) io.out(JSON.stringify(result, null, 2));
    else printResult(io, result);
    if (result.error) io.err(`warning: ${result.error}`);
  } finally {
    process.removeListener("SIGINT", onSigint);
    await composition.close();
  }
}
