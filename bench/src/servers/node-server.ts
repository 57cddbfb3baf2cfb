/**
 * One benchmark server in its own process, so the load generator (in the parent) and the server
 * never share an event loop. Prints `READY <port>` on stdout once listening.
 *
 *   node --conditions=@deeprecall/source src/servers/node-server.ts <mode> [port]
 *
 * Modes: plain | secured (auth + rate limit at a huge limit) | redis (secured, with the rate-limit
 * buckets in the Redis at REDIS_URL, shared by every replica) | slow | cache (the real
 * DeepRecallEngine with the answer cache in an InMemoryCache, a model that answers FINAL at once
 * and a three-document in-memory store: the first request fills the cache, every later identical
 * one is a cache hit) | bare (node:http floor, answering with the JSON file named by
 * BENCH_BARE_BODY).
 */
import { readFileSync } from "node:fs";
import { DeepRecallEngine, InMemoryCache } from "@deeprecall/core";
import { createApp, startServer } from "@deeprecall/server";
import { bareJsonServer, InMemoryVectorStore, SEED_CORPUS, scriptedModel } from "@deeprecall/test-utils";
import { BENCH_API_KEY, HUGE_RATE_LIMIT } from "../constants.ts";
import { InstantEngine, SlowEngine } from "../engine-doubles.ts";

const mode = process.argv[2] ?? "plain";
const port = Number(process.argv[3] ?? 0);

async function main(): Promise<void> {
  if (mode === "bare") {
    const path = process.env.BENCH_BARE_BODY;
    if (!path) throw new Error("bare mode needs BENCH_BARE_BODY (a JSON file to answer with)");
    const bare = await bareJsonServer(readFileSync(path), port);
    process.stdout.write(`READY ${bare.port}\n`);
    return;
  }
  const engine =
    mode === "slow"
      ? new SlowEngine(Number(process.env.BENCH_SLOW_MS ?? 2000))
      : mode === "cache"
        ? await cachingEngine()
        : new InstantEngine();
  let app: ReturnType<typeof createApp>;
  if (mode === "secured") {
    app = createApp(engine, { apiKeys: [BENCH_API_KEY], rateLimit: HUGE_RATE_LIMIT });
  } else if (mode === "redis") {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error("redis mode needs REDIS_URL");
    const { RedisRateLimitStore } = await import("@deeprecall/redis");
    const store = new RedisRateLimitStore({ url, failOpen: false });
    app = createApp(engine, {
      apiKeys: [BENCH_API_KEY],
      rateLimit: { requestsPerMinute: HUGE_RATE_LIMIT, store },
    });
  } else {
    app = createApp(engine);
  }
  const server = await startServer({ app, host: "127.0.0.1", port });
  process.stdout.write(`READY ${server.port}\n`);
  const stop = () => {
    server.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** The real engine with its answer cache on; only the model and the store are doubles. */
async function cachingEngine(): Promise<DeepRecallEngine> {
  const store = new InMemoryVectorStore();
  await store.addDocuments(SEED_CORPUS);
  // Only the first request reaches the model; the rest are served from the cache.
  const model = scriptedModel(
    Array.from({ length: 1_000 }, () => "FINAL(Acme was founded by Jane Doe in 1999.)"),
  );
  return new DeepRecallEngine({ vectorStore: store, model, cache: new InMemoryCache(), cacheAnswers: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
