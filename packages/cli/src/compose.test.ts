import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, LLMProviderError } from "@deeprecall/core";
import { generateText } from "ai";
import { afterAll, describe, expect, it } from "vitest";
import { describeBudget } from "./commands/serve.ts";
import { budgetFromConfig, composeEngine } from "./compose.ts";
import { DEFAULT_MAX_TIME_SECONDS, resolveConfig } from "./config/index.ts";
import {
  createEmbeddingModel,
  createLanguageModels,
  embeddingModelId,
  UnconfiguredLanguageModel,
} from "./models.ts";

const dirs: string[] = [];
function config(flags: Record<string, string> = {}, env: Record<string, string> = {}) {
  const cwd = mkdtempSync(path.join(tmpdir(), "deeprecall-compose-"));
  dirs.push(cwd);
  return resolveConfig({ cwd, env, flags }).config;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("language models", () => {
  it("without a key: a stand-in whose calls fail with LLMProviderError status 503 naming the variable", async () => {
    const llm = createLanguageModels(config());
    expect(llm.configured).toBe(false);
    expect(llm.missingKeyVariable).toBe("OPENAI_API_KEY");
    expect(llm.model).toBeInstanceOf(UnconfiguredLanguageModel);
    const error = await generateText({ model: llm.model, prompt: "hi", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LLMProviderError);
    expect((error as LLMProviderError).status).toBe(503);
    expect((error as LLMProviderError).message).toMatch(/^No language model configured: set OPENAI_API_KEY/);
  });

  it("picks the provider per backend, with the sub-model", () => {
    const openai = createLanguageModels(config({ subModel: "gpt-4o" }, { OPENAI_API_KEY: "sk-x" }));
    expect(openai.configured).toBe(true);
    expect(openai.model.modelId).toBe("gpt-4o-mini");
    expect(openai.model.provider).toMatch(/^openai/);
    expect(openai.subModel?.modelId).toBe("gpt-4o");

    const anthropic = createLanguageModels(config({ backend: "anthropic" }, { ANTHROPIC_API_KEY: "ak" }));
    expect(anthropic.model.provider).toMatch(/^anthropic/);
    expect(anthropic.model.modelId).toBe("claude-sonnet-4-5");

    const google = createLanguageModels(
      config({ backend: "google" }, { GOOGLE_GENERATIVE_AI_API_KEY: "gk" }),
    );
    expect(google.model.provider).toMatch(/^google/);

    const compatible = createLanguageModels(config({ baseUrl: "http://127.0.0.1:1/v1", model: "llama3.1" }));
    expect(compatible.configured).toBe(true); // a local server needs no key
    expect(compatible.model.provider).toMatch(/^openai-compatible/);
    expect(compatible.description).toBe("openai-compatible llama3.1 at http://127.0.0.1:1/v1");
    // The OpenAI key never goes to a third-party base URL.
    const noLeak = createLanguageModels(
      config({ baseUrl: "http://127.0.0.1:1/v1", model: "m" }, { OPENAI_API_KEY: "sk-secret" }),
    );
    expect(JSON.stringify(noLeak)).not.toContain("sk-secret");
  });

  it("embedding models: the backend's provider, or provider:model; clear errors otherwise", () => {
    expect(createEmbeddingModel(config())).toBeUndefined();
    const own = createEmbeddingModel(
      config({ embeddingModel: "text-embedding-3-small" }, { OPENAI_API_KEY: "sk" }),
    );
    expect(typeof own === "object" && own.modelId).toBe("text-embedding-3-small");
    const other = createEmbeddingModel(
      config(
        { backend: "anthropic", embeddingModel: "openai:text-embedding-3-large" },
        { ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o" },
      ),
    );
    expect(typeof other === "object" && other.provider).toMatch(/^openai/);
    expect(() =>
      createEmbeddingModel(config({ backend: "anthropic", embeddingModel: "x" }, { ANTHROPIC_API_KEY: "a" })),
    ).toThrow(/Anthropic has no embedding models/);
    expect(() => createEmbeddingModel(config({ embeddingModel: "text-embedding-3-small" }))).toThrow(
      "--embedding-model: text-embedding-3-small needs OPENAI_API_KEY to be set",
    );
  });
});

describe("composeEngine", () => {
  it("maps budget flags; a 300 s time budget by default; --max-iterations is a budget like a request's", () => {
    expect(budgetFromConfig(config())).toEqual({ maxTimeSeconds: DEFAULT_MAX_TIME_SECONDS });
    expect(DEFAULT_MAX_TIME_SECONDS).toBe(300);
    // What `serve` prints: a request's budget is capped by this one (the server's requestBudget).
    expect(describeBudget(config())).toBe(`300 s per query (a request's "budget" can only lower it)`);
    expect(budgetFromConfig(config({}, { DEEPRECALL_MAX_TIME: "42" }))).toEqual({ maxTimeSeconds: 42 });
    expect(
      budgetFromConfig(
        config({ maxIterations: "3", maxSearches: "3", maxTokens: "1000", maxTime: "9.5", maxCost: "0.1" }),
      ),
    ).toEqual({
      maxIterations: 3,
      maxSearchCalls: 3,
      maxTokens: 1000,
      maxTimeSeconds: 9.5,
      maxCostUsd: 0.1,
    });
  });

  it("wires the local store and a usage tracker; requireLlm refuses to start without a key", async () => {
    const cfg = config();
    await expect(composeEngine(cfg, { requireLlm: true })).rejects.toBeInstanceOf(ConfigError);
    const composition = await composeEngine(cfg);
    try {
      expect(composition.storeInfo.kind).toBe("local");
      expect(composition.llm.configured).toBe(false);
      await composition.engine.addDocuments({ documents: ["alpha beta"], ids: ["a"] });
      expect(await composition.store.count()).toBe(1);
      expect((await composition.engine.search("alpha"))[0]?.id).toBe("a");
      expect(await composition.engine.usage()).toMatchObject({ totalQueries: 0 });
      // A query reaches the stand-in model and fails with its 503 error.
      await expect(composition.engine.query("alpha?")).rejects.toMatchObject({ status: 503 });
    } finally {
      await composition.close();
    }
    // Closed means the store lock is released: the same directory opens again.
    const again = await composeEngine(cfg);
    expect(await again.store.count()).toBe(1);
    await again.close();
  });

  it("exposes the store's embedding model and the id clients send to /v1/embeddings", async () => {
    expect(embeddingModelId(config({ embeddingModel: "openai:text-embedding-3-small" }))).toBe(
      "text-embedding-3-small",
    );
    expect(embeddingModelId(config({ embeddingModel: "my:model" }))).toBe("my:model");
    expect(embeddingModelId(config())).toBeUndefined();

    const without = await composeEngine(config());
    expect(without.embedding).toBeUndefined();
    expect(without.embeddingModelName).toBeUndefined();
    await without.close();

    const cfg = config({ embeddingModel: "openai:text-embedding-3-small" }, { OPENAI_API_KEY: "sk" });
    const composition = await composeEngine(cfg);
    try {
      expect(typeof composition.embedding === "object" && composition.embedding.modelId).toBe(
        "text-embedding-3-small",
      );
      expect(composition.embeddingModelName).toBe("text-embedding-3-small");
    } finally {
      await composition.close();
    }
  });

  it("the sqlite cache lives under the persist dir", async () => {
    const cfg = config({ cache: "sqlite" });
    const composition = await composeEngine(cfg);
    await composition.engine.addDocuments({ documents: ["gamma"], ids: ["g"] });
    await composition.engine.search("gamma");
    await composition.close();
    const { existsSync } = await import("node:fs");
    expect(existsSync(path.join(cfg.persistDir, "cache.sqlite"))).toBe(true);
  });
});

describe("engines per collection", () => {
  it("engineFor: one engine per collection, its store named apart, sharing the cache without crossing collections", async () => {
    const composition = await composeEngine(config({ cache: "memory" }));
    try {
      const main = composition.engine;
      expect(composition.collection).toBe("deeprecall");
      expect(composition.engineFor("deeprecall")).toBe(main);
      const a = composition.engineFor("a");
      expect(composition.engineFor("a")).toBe(a);
      expect(main.vectorStore.name).toBe("local");
      expect(a.vectorStore.name).toBe("local:a");
      expect(composition.engineFor("b").vectorStore.name).toBe("local:b");
      expect(() => composition.engineFor("../etc")).toThrow(ConfigError);

      await main.addDocuments({ documents: ["The main codeword is RED."], ids: ["m1"] });
      await a.addDocuments({ documents: ["The alpha codeword is BLUE."], ids: ["a1"] });
      // The same query through each engine, the search cache shared: each gets its own hits.
      expect((await main.search("codeword")).map((h) => h.id)).toEqual(["m1"]);
      expect((await a.search("codeword")).map((h) => h.id)).toEqual(["a1"]);
      expect((await main.search("codeword")).map((h) => h.id)).toEqual(["m1"]);
      expect((await composition.collections.collections.listCollections()).map((c) => c.name)).toEqual([
        "a",
        "deeprecall",
      ]);
    } finally {
      await composition.close();
    }
    await composition.close(); // idempotent
    expect(() => composition.engineFor("c")).toThrow(ConfigError);
  });
});
