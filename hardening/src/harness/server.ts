import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeepRecallEngine,
  type DeepRecallEngineOptions,
  type LanguageModel,
  UsageTrackingCallback,
  type VectorStore,
} from "@deeprecall/core";
import { type CreateAppOptions, createApp, startServer } from "@deeprecall/server";
import { LocalStore } from "@deeprecall/vectorstore-local";
import { replModel } from "./model.ts";
import { RunRecorder } from "./recorder.ts";

export interface TestServer {
  url: string;
  engine: DeepRecallEngine;
  store: VectorStore;
  recorder: RunRecorder;
  directory: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  model?: LanguageModel;
  /** Wraps or replaces the LocalStore (given the store built in the temp dir). */
  store?: (local: LocalStore) => VectorStore;
  engine?: Partial<DeepRecallEngineOptions>;
  app?: CreateAppOptions;
  /** Documents to ingest before serving. */
  documents?: string[];
}

export const SEED_DOCUMENTS = [
  "Ada Lovelace wrote the first published algorithm for Babbage's Analytical Engine in 1843.",
  "The Analytical Engine was a proposed mechanical general-purpose computer.",
  "Grace Hopper developed the first compiler, A-0, in 1952.",
  "The 2008 financial crisis began with the collapse of the US housing bubble.",
  "Photosynthesis converts light energy into chemical energy in plants.",
];

/**
 * A real DeepRecall server on a real port: LocalStore in a temp dir, a real engine (real sandbox
 * worker threads) driven by an AI SDK mock model, createApp + startServer from @deeprecall/server.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), "deeprecall-hardening-"));
  const local = new LocalStore({ directory });
  const store = options.store ? options.store(local) : local;
  const recorder = new RunRecorder();
  const { callbacks, ...engineOptions } = options.engine ?? {};
  const engine = new DeepRecallEngine({
    vectorStore: store,
    model: options.model ?? replModel(),
    sandbox: { workers: 2, timeoutMs: 2_000 },
    maxIterations: 4,
    retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20 },
    ...engineOptions,
    // The recorder always listens; the usage source defaults to core's in-memory tracker.
    callbacks: [recorder, ...(callbacks ?? [new UsageTrackingCallback()])],
  });
  const documents = options.documents ?? SEED_DOCUMENTS;
  if (documents.length > 0) {
    await engine.addDocuments({ documents, ids: documents.map((_, i) => `seed-${i}`) });
  }
  const app = createApp(engine, { keepAliveMs: 0, ...options.app });
  const server = await startServer({ app, port: 0 });
  return {
    url: server.url,
    engine,
    store,
    recorder,
    directory,
    async close() {
      await server.close();
      await engine.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
