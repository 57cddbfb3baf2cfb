/** GET /v1/usage, POST /v1/cache/clear, GET /health: in the Python original's shapes. */
import type { DeepRecallEngineApi, UsageReport } from "@deeprecall/core";
import { isExemptPath } from "@deeprecall/middleware";
import { createRoute } from "@hono/zod-openapi";
import { redact } from "../errors.ts";
import { CacheClearResponseSchema, HealthSchema, UsageReportSchema } from "../schemas.ts";
import { type App, COMMON, errors, json, type RouteContext } from "./shared.ts";

const HEALTH_COUNT_TIMEOUT_MS = 2_000;

/** The original's `usage` keys first (total_queries, total_tokens, total_searches, total_time, errors), then ours. */
export function usageTotalsJson(report: UsageReport) {
  const byModel: Record<string, Record<string, number>> = {};
  for (const [model, u] of Object.entries(report.byModel ?? {})) {
    byModel[model] = {
      calls: u.calls,
      prompt_tokens: u.inputTokens,
      completion_tokens: u.outputTokens,
      total_tokens: u.totalTokens,
      ...(u.costUsd !== undefined ? { cost_usd: u.costUsd } : {}),
    };
  }
  return {
    total_queries: report.totalQueries,
    total_tokens: report.totalTokens,
    total_searches: report.searchCalls,
    total_time: Math.round(((report.averageTimeMs * report.totalQueries) / 1000) * 100) / 100,
    errors: report.failedQueries,
    failed_queries: report.failedQueries,
    prompt_tokens: report.inputTokens,
    completion_tokens: report.outputTokens,
    llm_calls: report.llmCalls,
    search_calls: report.searchCalls,
    total_cost_usd: report.totalCostUsd,
    average_time_ms: report.averageTimeMs,
    by_model: byModel,
    since: report.since,
    recent_queries: (report.recentQueries ?? []).map((q) => ({
      query: q.query,
      started_at: q.startedAt,
      time_ms: q.timeMs,
      total_tokens: q.totalTokens,
      cost_usd: q.costUsd,
      error: q.error,
    })),
  };
}

async function countWithTimeout(engine: DeepRecallEngineApi): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      engine.vectorStore.count(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), HEALTH_COUNT_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

export function registerAdmin(app: App, ctx: RouteContext): void {
  const { engine } = ctx;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/usage",
      tags: ["DeepRecall"],
      summary: "Cumulative usage",
      description:
        '`{"status": "ok", "usage": {...}}` from the engine\'s usage tracker; without one, `usage` is null and `message` says why.',
      responses: { 200: json(UsageReportSchema, "Usage totals"), ...errors(...COMMON) },
    }),
    async (c) => {
      const report = await engine.usage();
      if (!report) {
        return c.json(
          {
            status: "ok" as const,
            usage: null,
            message: "No usage tracker configured: register a usage tracker callback on the engine.",
          },
          200,
        );
      }
      return c.json({ status: "ok" as const, usage: usageTotalsJson(report) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/cache/clear",
      tags: ["DeepRecall"],
      summary: "Clear the query and search caches",
      responses: { 200: json(CacheClearResponseSchema, "Cleared"), ...errors(502, 503, ...COMMON) },
    }),
    async (c) => {
      await engine.clearCache();
      return c.json({ status: "ok" as const, message: "Cache cleared" }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["DeepRecall"],
      // Exempt from auth by default: say so in the document.
      ...(ctx.authEnabled && isExemptPath("/health", ctx.exemptPaths) ? { security: [] } : {}),
      summary: "Health check",
      description:
        'Always 200 while the process serves requests; `status` is "degraded" when the store cannot count its documents.',
      responses: { 200: json(HealthSchema, "Health") },
    }),
    async (c) => {
      const documents = await countWithTimeout(engine);
      return c.json(
        {
          status: documents === null ? ("degraded" as const) : ("ok" as const),
          model: ctx.modelName,
          engine_model: engine.modelId,
          vector_store: redact(engine.vectorStore.name),
          documents,
          uptime_seconds: Math.round((Date.now() - ctx.startedAt) / 1000),
          version: ctx.version,
        },
        200,
      );
    },
  );
}
