import {
  advertisedModel,
  advertiseLocalServer,
  budgetFromConfig,
  composeEngine,
  type DeepRecallConfig,
  type LogEntry,
  maskList,
  type ResolvedConfig,
  type RunningServer,
  resolveConfig,
  serverOptionsFromConfig,
  startServer,
} from "@deeprecall/cli";

export interface StartFromEnvOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Log sink; default: one JSON object per line on stdout. */
  log?: (entry: LogEntry) => void;
  /** Install SIGTERM/SIGINT handlers (graceful shutdown, then exit). Default true. */
  handleSignals?: boolean;
}

/** One JSON object per line: time, level, msg, then the entry's fields. */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
): (entry: LogEntry) => void {
  return (entry) => {
    const { level, msg, ...fields } = entry;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

/** Shutdown grace period from DEEPRECALL_SHUTDOWN_GRACE_SECONDS (default 30). */
export function gracePeriodMs(env: Record<string, string | undefined>): number {
  const raw = env.DEEPRECALL_SHUTDOWN_GRACE_SECONDS;
  if (raw === undefined || raw === "") return 30_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(
      `DEEPRECALL_SHUTDOWN_GRACE_SECONDS: expected seconds 0-3600, got ${JSON.stringify(raw)} (from environment)`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * The configuration of the deployable server: the CLI's, from environment variables (and an
 * optional DEEPRECALL_CONFIG file), except that it binds 0.0.0.0 unless DEEPRECALL_HOST/HOST say
 * otherwise, as a container must.
 */
export function configFromEnv(env: Record<string, string | undefined>, cwd = process.cwd()): ResolvedConfig {
  const resolved = resolveConfig({ env, cwd });
  if (resolved.sources.host?.kind === "default") {
    resolved.config.host = "0.0.0.0";
  }
  return resolved;
}

function describe(config: DeepRecallConfig) {
  return {
    auth: config.apiKeys ? `on (${config.apiKeys.length} keys: ${maskList(config.apiKeys)})` : "off",
    rateLimit: config.rateLimit ?? null,
    cors: config.cors ? (config.cors.includes("*") ? "*" : config.cors) : null,
    cache:
      config.cache === "none" ? "off" : config.cacheAnswers === "on" ? "searches and answers" : "searches",
    sharedState: config.redisUrl ? `redis (fail ${config.redisFailure})` : "none (this process only)",
    metrics: config.metrics === "on",
    mcp: config.mcp === "on",
    // The default per-query budget (300 s unless DEEPRECALL_MAX_TIME says otherwise).
    budget: budgetFromConfig(config) ?? null,
  };
}

/** Composes the engine from the environment and serves it, with JSON logs and graceful shutdown. */
export async function startFromEnv(options: StartFromEnvOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? jsonLogger();
  const { config, configFile, sources } = configFromEnv(env, options.cwd);
  const grace = gracePeriodMs(env);
  const composition = await composeEngine(config, { log: (line) => log({ level: "info", msg: line }) });
  let documents: number;
  try {
    documents = await composition.store.count();
  } catch (error) {
    await composition.close().catch(() => {});
    throw error;
  }
  const serverOptions = serverOptionsFromConfig(config, sources);
  // On the local store, say where this server listens so `deeprecall ingest`, `delete` and
  // `status` go through it instead of failing on the store's lock.
  let unadvertise: (() => void) | undefined;
  const running = await startServer(composition, {
    ...serverOptions,
    gracePeriodMs: grace,
    log,
    handleSignals: options.handleSignals ?? true,
    onShutdown: () => unadvertise?.(),
  }).catch(async (error: unknown) => {
    await composition.close().catch(() => {});
    throw error;
  });
  unadvertise = advertiseLocalServer(
    config,
    {
      url: running.url,
      collection: serverOptions.collections ? null : composition.collection,
      model: advertisedModel(composition.llm),
    },
    (message) => log({ level: "warn", msg: message }),
  );
  log({
    level: "info",
    msg: "listening",
    url: running.url,
    host: config.host,
    port: running.port,
    store: composition.storeInfo.description,
    documents,
    model: composition.llm.configured ? composition.llm.description : null,
    modelMissingKey: composition.llm.configured ? null : composition.llm.missingKeyVariable,
    configFile: configFile ?? null,
    shutdownGraceMs: grace,
    embeddings: composition.embedding ? (composition.embeddingModelName ?? null) : null,
    docs: `${running.url}/docs`,
    ...describe(config),
  });
  return running;
}
