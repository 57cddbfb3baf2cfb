import type {
  CacheStore,
  CallbackContext,
  DeepRecallCallbacks,
  DeepRecallResult,
  SearchRecord,
} from "@deeprecall/core";
import type { Handler, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface MetricsOptions {
  /** Registry to register into. Default: a new one (so several apps in a process do not clash). */
  registry?: Registry;
  /** Prefix of every metric name. Default `"deeprecall_"`. */
  prefix?: string;
  /** Also collect prom-client's default Node.js process metrics. Default `false`. */
  defaultMetrics?: boolean;
  /** Latency histogram buckets in seconds. Default suits LLM calls: 5 ms … 120 s. */
  latencyBuckets?: number[];
}

const DEFAULT_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

/** The DeepRecall metrics of one process and the pieces that feed and serve them. */
export interface Metrics {
  readonly registry: Registry;
  /** `<prefix>http_requests_total{method,route,status}` */
  readonly httpRequests: Counter<"method" | "route" | "status">;
  /** `<prefix>http_request_duration_seconds{method,route,status}` (until the handler returns; streams continue after). */
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  /** `<prefix>active_runs`: engine runs in progress. */
  readonly activeRuns: Gauge;
  /** `<prefix>queries_total{outcome="ok"|"budget_exceeded"|"error"}` */
  readonly queries: Counter<"outcome">;
  /** `<prefix>tokens_total{model,type="input"|"output"}` */
  readonly tokens: Counter<"model" | "type">;
  /** `<prefix>cache_lookups_total{cache,result="hit"|"miss"}` */
  readonly cacheLookups: Counter<"cache" | "result">;
  /** `<prefix>cache_hit_ratio{cache}`: hits / lookups since start (computed at scrape time). */
  readonly cacheHitRatio: Gauge<"cache">;
  /** `<prefix>rate_limit_rejections_total`: responses answered 429 by the rate limiter. */
  readonly rateLimitRejections: Counter;
  /** Hono middleware counting every request (register it first, before auth and limits). */
  middleware(): MiddlewareHandler;
  /** Hono handler answering with the Prometheus text format (mount at `GET /metrics`). */
  handler(): Handler;
  /** Callbacks feeding active runs, queries, tokens and search-cache lookups. One shared instance. */
  readonly callbacks: DeepRecallCallbacks;
  /**
   * Registers `callbacks` on an engine that has `addCallback` (a `DeepRecallEngine`), once per
   * engine however often it is called. Returns false when the engine cannot take callbacks.
   */
  attach(engine: unknown): boolean;
  /** Wraps a `CacheStore` so its `get`s count as hits / misses under `cache` (default "engine"). */
  instrumentCache<T extends CacheStore>(cache: T, name?: string): CacheStore;
}

/** Creates the metrics (in a fresh registry unless one is given). */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "deeprecall_";
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const httpRequests = new Counter({
    name: `${prefix}http_requests_total`,
    help: "HTTP requests by method, matched route and status.",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: "Time until the response (or the start of a stream) was ready, in seconds.",
    labelNames: ["method", "route", "status"] as const,
    buckets: options.latencyBuckets ?? DEFAULT_BUCKETS,
    registers,
  });
  const activeRuns = new Gauge({
    name: `${prefix}active_runs`,
    help: "Engine runs in progress.",
    registers,
  });
  const queries = new Counter({
    name: `${prefix}queries_total`,
    help: "Finished engine runs by outcome.",
    labelNames: ["outcome"] as const,
    registers,
  });
  const tokens = new Counter({
    name: `${prefix}tokens_total`,
    help: "Model tokens by model and type (input/output).",
    labelNames: ["model", "type"] as const,
    registers,
  });
  const cacheLookups = new Counter({
    name: `${prefix}cache_lookups_total`,
    help: "Cache lookups by cache and result (hit/miss).",
    labelNames: ["cache", "result"] as const,
    registers,
  });
  const lookups = new Map<string, { hits: number; total: number }>();
  const countLookup = (cache: string, hit: boolean) => {
    cacheLookups.inc({ cache, result: hit ? "hit" : "miss" });
    const entry = lookups.get(cache) ?? { hits: 0, total: 0 };
    entry.total += 1;
    if (hit) entry.hits += 1;
    lookups.set(cache, entry);
  };
  const cacheHitRatio = new Gauge({
    name: `${prefix}cache_hit_ratio`,
    help: "Cache hits / lookups since the process started.",
    labelNames: ["cache"] as const,
    registers,
    collect() {
      for (const [cache, { hits, total }] of lookups) this.set({ cache }, total === 0 ? 0 : hits / total);
    },
  });
  const rateLimitRejections = new Counter({
    name: `${prefix}rate_limit_rejections_total`,
    help: "Requests rejected by the rate limiter (HTTP 429).",
    registers,
  });

  const running = new Set<string>();
  const callbacks: DeepRecallCallbacks = {
    onQueryStart(ctx: CallbackContext) {
      running.add(ctx.runId);
      activeRuns.set(running.size);
    },
    onSearch(_ctx: CallbackContext, search: SearchRecord) {
      if (search.cached !== undefined) countLookup("search", search.cached);
    },
    onError(ctx: CallbackContext) {
      if (running.delete(ctx.runId)) queries.inc({ outcome: "error" });
      activeRuns.set(running.size);
    },
    onQueryEnd(ctx: CallbackContext, result: DeepRecallResult) {
      if (running.delete(ctx.runId)) {
        queries.inc({
          outcome: result.budgetStatus?.exceeded ? "budget_exceeded" : result.error ? "error" : "ok",
        });
      }
      activeRuns.set(running.size);
      for (const [model, m] of Object.entries(result.usage?.byModel ?? {})) {
        if (m.inputTokens > 0) tokens.inc({ model, type: "input" }, m.inputTokens);
        if (m.outputTokens > 0) tokens.inc({ model, type: "output" }, m.outputTokens);
      }
    },
  };
  const attached = new WeakSet<object>();

  return {
    registry,
    httpRequests,
    httpDuration,
    activeRuns,
    queries,
    tokens,
    cacheLookups,
    cacheHitRatio,
    rateLimitRejections,
    callbacks,
    middleware(): MiddlewareHandler {
      return async (c, next) => {
        const started = performance.now();
        try {
          await next();
        } finally {
          // After next() the matched handler's route is known; bounded label values, never raw paths.
          const route = routeOf(c);
          const labels = { method: c.req.method, route, status: String(c.res.status) };
          httpRequests.inc(labels);
          httpDuration.observe(labels, (performance.now() - started) / 1000);
          if (c.res.status === 429) rateLimitRejections.inc();
        }
      };
    },
    handler(): Handler {
      return async (c) => c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
    },
    attach(engine: unknown): boolean {
      const target = engine as { addCallback?: (cb: DeepRecallCallbacks) => void } | null;
      if (!target || typeof target.addCallback !== "function") return false;
      if (!attached.has(target)) {
        attached.add(target);
        target.addCallback(callbacks);
      }
      return true;
    },
    instrumentCache<T extends CacheStore>(cache: T, name = "engine"): CacheStore {
      const wrapped: CacheStore = {
        async get<V = unknown>(key: string): Promise<V | undefined> {
          const value = await cache.get<V>(key);
          countLookup(name, value !== undefined);
          return value;
        },
        set: (key, value, ttlSeconds) => cache.set(key, value, ttlSeconds),
        delete: (key) => cache.delete(key),
        clear: () => cache.clear(),
      };
      if (cache.close) wrapped.close = () => cache.close!();
      return wrapped;
    },
  };
}

function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  try {
    const route = routePath(c, -1);
    return route && route !== "*" && route !== "/*" ? route : "unmatched";
  } catch {
    return "unmatched";
  }
}
