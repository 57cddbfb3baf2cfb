import { plural } from "@deeprecall/core";
import { budgetFromConfig, composeEngine } from "../compose.ts";
import { maskList } from "../config/index.ts";
import { requestLine } from "../request-line.ts";
import { advertisedModel, advertiseLocalServer } from "../server-advert.ts";
import { serverOptionsFromConfig, startServer } from "../server-runner.ts";
import { type CommandContext, loadConfig } from "./common.ts";

/** The per-query budget in words, e.g. "300 s, 5 iterations per query (a request's "budget" can only lower it)". */
export function describeBudget(config: Parameters<typeof budgetFromConfig>[0]): string {
  const b = budgetFromConfig(config) ?? {};
  const parts = [
    b.maxTimeSeconds !== undefined ? `${b.maxTimeSeconds} s` : undefined,
    b.maxIterations !== undefined ? plural(b.maxIterations, "iteration") : undefined,
    b.maxSearchCalls !== undefined ? plural(b.maxSearchCalls, "search", "searches") : undefined,
    b.maxTokens !== undefined ? plural(b.maxTokens, "token") : undefined,
    b.maxCostUsd !== undefined ? `$${b.maxCostUsd}` : undefined,
  ].filter(Boolean);
  return `${parts.length > 0 ? parts.join(", ") : "none"} per query (a request's "budget" can only lower it)`;
}

export async function runServe(ctx: CommandContext, opts: Record<string, unknown>): Promise<void> {
  const { config, sources } = loadConfig(ctx, opts);
  const serverOptions = serverOptionsFromConfig(config, sources);
  const { io } = ctx;
  const composition = await composeEngine(config, { log: (line) => io.err(line) });
  let documents: number;
  let others: Array<{ name: string; count: number }> = [];
  try {
    // Fail now, with one clear line, when the store is unreachable.
    documents = await composition.store.count();
    if (serverOptions.collections) {
      others = (await composition.collections.collections.listCollections()).filter(
        (c) => c.name !== composition.collection,
      );
    }
  } catch (error) {
    await composition.close().catch(() => {});
    throw error;
  }
  let running: Awaited<ReturnType<typeof startServer>>;
  // A local store's collections are locked while served: say where the server listens, so that
  // `deeprecall ingest`, `delete` and `status` go through it instead of failing on the lock.
  let unadvertise: (() => void) | undefined;
  try {
    running = await startServer(composition, {
      ...serverOptions,
      onShutdown: () => unadvertise?.(),
      log: (entry) => {
        if (entry.msg === "request") {
          // Without --verbose, only requests that failed on the server's side get a line.
          if (opts.verbose || entry.level === "error") io.err(requestLine(entry));
        } else if (entry.msg === "shutting down") {
          io.err(`Shutting down (${entry.reason}): finishing in-flight requests...`);
        } else if (entry.level !== "info") {
          io.err(`${entry.level}: ${entry.msg}${entry.error ? `: ${entry.error}` : ""}`);
        }
      },
    });
  } catch (error) {
    await composition.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new Error(`port ${config.port} on ${config.host} is already in use (choose another with --port)`);
    if (code === "EACCES") throw new Error(`no permission to listen on ${config.host}:${config.port}`);
    throw error;
  }
  unadvertise = advertiseLocalServer(
    config,
    {
      url: running.url,
      collection: serverOptions.collections ? null : composition.collection,
      model: advertisedModel(composition.llm),
    },
    (message) => io.err(`warning: ${message}`),
  );
  const llm = composition.llm;
  io.out(`DeepRecall server listening on ${running.url}`);
  io.out(`  Store:      ${composition.storeInfo.description}, ${plural(documents, "document")}`);
  if (serverOptions.collections) {
    const listed = others.map((c) => `deeprecall/${c.name} (${c.count})`);
    io.out(
      `  Models:     deeprecall (collection ${composition.collection}, ${documents})${listed.length > 0 ? `, ${listed.join(", ")}` : ""}; new collections are served as they appear`,
    );
  } else {
    io.out(`  Models:     deeprecall (collection ${composition.collection} only: --collection limits it)`);
  }
  io.out(
    llm.configured
      ? `  Model:      ${llm.description}`
      : `  Model:      none: ${llm.missingKeyVariable} is not set (documents and search work; chat returns 503)`,
  );
  io.out(
    `  Auth:       ${config.apiKeys ? `on, ${plural(config.apiKeys.length, "key")} (${maskList(config.apiKeys)})` : "off (pass --api-keys to require Bearer keys)"}`,
  );
  io.out(
    `  Rate limit: ${config.rateLimit !== undefined ? `${config.rateLimit} requests/min per key${composition.redis ? " (fleet-wide, in Redis)" : ""}` : "off"}`,
  );
  if (config.trustProxy)
    io.out(
      `  Proxies:    ${config.trustProxy} trusted (client addresses from X-Forwarded-For, for auth throttling and per-IP limits)`,
    );
  io.out(`  Budget:     ${describeBudget(config)}`);
  const cacheWhere = composition.redis ? "Redis" : config.cache;
  const cached =
    config.cacheAnswers === "on" ? "search results and answers" : "search results (answers run fresh)";
  io.out(`  Cache:      ${config.cache === "none" ? "off" : `${cacheWhere}, ${cached}`}`);
  if (config.cors)
    io.out(`  CORS:       ${config.cors.includes("*") ? "any origin" : config.cors.join(", ")}`);
  if (composition.embedding) {
    io.out(`  Embeddings: POST ${running.url}/v1/embeddings (model ${composition.embeddingModelName})`);
  }
  if (composition.redis) {
    io.out(`  Shared:     Redis (rate limit, cache, usage; if unreachable: fail ${config.redisFailure})`);
  }
  if (config.metrics === "on") io.out(`  Metrics:    ${running.url}/metrics`);
  if (config.mcp === "on") io.out(`  MCP:        ${running.url}/mcp (Streamable HTTP; tools: search, ask)`);
  if (running.console) io.out(`  Console:    ${running.url}/ (web console)`);
  io.out(`  Docs:       ${running.url}/docs`);
  io.out(`  OpenAI base URL for clients: ${running.url}/v1`);
  // The process stays up on the open server; SIGINT/SIGTERM shut it down gracefully.
}
