/**
 * One replica of the load-test fleet: a real DeepRecall server (createApp + startServer) whose
 * rate-limit buckets, cache and usage totals live in a shared Redis (createRedisState), talking
 * to an OpenAI-compatible LLM over HTTP. It adds `GET /_hardening/stats` (exempt from auth and
 * rate limiting) reporting its runs (started, finished, aborted, still open) and its heap after a
 * full GC.
 *
 * env: REDIS_URL, LLM_BASE_URL, RATE_LIMIT (requests per minute per key), DATA_DIR, KEY_PREFIX
 */
import v8 from "node:v8";
import vm from "node:vm";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import {
  type CallbackContext,
  type DeepRecallCallbacks,
  DeepRecallEngine,
  isAbortError,
} from "@deeprecall/core";
import { createRedisState } from "@deeprecall/redis";
import { createApp, startServer } from "@deeprecall/server";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { SEED_DOCUMENTS } from "../harness/server.ts";

const env = process.env;
const log = (entry: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(entry)}\n`);

const redis = createRedisState({
  url: env.REDIS_URL!,
  prefix: "deeprecall-load:",
  logger: (entry) => log({ msg: "redis", level: entry.level, message: entry.message }),
});
const RETRY_NOTICE = / — retrying \(attempt \d+\) in \d+ ms$/;

/** Counts runs without keeping their results (so the test's own bookkeeping cannot leak). */
class LeanRecorder implements DeepRecallCallbacks {
  readonly open = new Map<string, string>();
  readonly aborted: string[] = [];
  readonly failed: Array<{ query: string; error: string }> = [];
  started = 0;
  finished = 0;
  onQueryStart(ctx: CallbackContext): void {
    this.started++;
    this.open.set(ctx.runId, ctx.query);
  }
  onQueryEnd(ctx: CallbackContext): void {
    if (this.open.delete(ctx.runId)) this.finished++;
  }
  onError(ctx: CallbackContext, error: unknown): void {
    // The engine also reports each retry of a model call here ("… — retrying (attempt n) …");
    // the run goes on, so it is not a failure (a retry the fake LLM's dropped connection causes).
    if (RETRY_NOTICE.test(String(error))) return;
    if (!this.open.delete(ctx.runId)) return;
    if (isAbortError(error)) this.aborted.push(ctx.query);
    else this.failed.push({ query: ctx.query, error: String(error).slice(0, 300) });
  }
}
const recorder = new LeanRecorder();
const provider = createOpenAICompatible({ name: "fake", baseURL: env.LLM_BASE_URL!, apiKey: "sk-fake" });
const engine = new DeepRecallEngine({
  vectorStore: new LocalStore({ directory: env.DATA_DIR! }),
  model: provider.chatModel("fake-model"),
  cache: redis.cache,
  callbacks: [recorder, redis.usageTracker],
  sandbox: { workers: 2, timeoutMs: 5_000 },
  maxIterations: 4,
});
if ((await engine.search("Ada").catch(() => [])).length === 0) {
  await engine.addDocuments({ documents: SEED_DOCUMENTS, ids: SEED_DOCUMENTS.map((_, i) => `seed-${i}`) });
}
const prefix = env.KEY_PREFIX ?? "sk-load-";
const app = createApp(engine, {
  validateKey: (key) => key.startsWith(prefix),
  rateLimit: { requestsPerMinute: Number(env.RATE_LIMIT ?? 60), store: redis.rateLimitStore },
  exemptPaths: ["/health", "/docs", "/openapi.json", "/_hardening"],
  keepAliveMs: 0,
});
// A full GC before each heap sample. Not via `node --expose-gc`: worker threads (the sandbox
// pool) reject that flag in the execArgv they inherit (see README, Findings).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
app.get("/_hardening/stats", (c) => {
  gc?.();
  const memory = process.memoryUsage();
  return c.json({
    pid: process.pid,
    heapUsed: memory.heapUsed,
    rss: memory.rss,
    gc: typeof gc === "function",
    started: recorder.started,
    finished: recorder.finished,
    open: [...recorder.open.values()],
    aborted: recorder.aborted,
    failed: recorder.failed,
  });
});
const server = await startServer({ app, port: 0 });
log({ msg: "listening", url: server.url });

process.once("SIGTERM", () => {
  void (async () => {
    await server.close();
    await engine.close();
    await redis.close();
    process.exit(0);
  })();
});
