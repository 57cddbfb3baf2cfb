/**
 * One server of the cache-hit benchmark (src/cache-hit.bench.ts), in its own process so the
 * load generator and the server never share an event loop. Prints `READY <port>` once listening.
 *
 *   node --conditions=@deeprecall/source src/__fixtures__/bench-server.ts <mode>
 *
 * Modes:
 * - `cache`: createApp over the real DeepRecallEngine with the answer cache opted in
 *   (`InMemoryCache`), a model that answers FINAL at once and a small in-memory store. The
 *   first request fills the cache; every later identical request is a cache hit.
 * - `bare`: the `node:http` floor. Reads and `JSON.parse`s the body like a real endpoint, then
 *   answers the JSON file named by BENCH_BARE_BODY (the bytes the `cache` server answered).
 */
import { readFileSync } from "node:fs";
import { DeepRecallEngine, InMemoryCache } from "@deeprecall/core";
import { bareJsonServer, scriptedModel } from "@deeprecall/test-utils";
import { createApp } from "../app.ts";
import { startServer } from "../serve.ts";
import { MemoryStore } from "./scripted-engine.ts";

export const BENCH_DOCUMENTS = [
  "Acme Corporation was founded by Jane Doe in 1999.",
  "Jane Doe was born in Lyon, France.",
  "The weather in Paris is mild in spring.",
];

/** A model that answers FINAL at once, `n` times. */
export function finalOnlyModel(n = 200_000) {
  return scriptedModel(Array.from({ length: n }, () => "FINAL(Acme was founded by Jane Doe in 1999.)"));
}

export async function smallStore(): Promise<MemoryStore> {
  const store = new MemoryStore("bench-memory");
  await store.addDocuments({ documents: BENCH_DOCUMENTS, ids: ["acme", "jane", "weather"] });
  return store;
}

async function main(mode: string): Promise<void> {
  if (mode === "bare") {
    const path = process.env.BENCH_BARE_BODY;
    if (!path) throw new Error("bare mode needs BENCH_BARE_BODY (a JSON file to answer with)");
    const { port } = await bareJsonServer(readFileSync(path));
    process.stdout.write(`READY ${port}\n`);
    return;
  }
  if (mode !== "cache") throw new Error(`unknown mode ${mode}`);
  const engine = new DeepRecallEngine({
    vectorStore: await smallStore(),
    model: finalOnlyModel(1_000),
    cache: new InMemoryCache(),
    cacheAnswers: true,
  });
  const server = await startServer({ app: createApp(engine) });
  process.stdout.write(`READY ${server.port}\n`);
  const stop = () => {
    void server
      .close()
      .then(() => engine.close())
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// Run as a script (Node >= 24.2 sets import.meta.main), not when imported by the benchmark.
if ((import.meta as { main?: boolean }).main) {
  main(process.argv[2] ?? "cache").catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
