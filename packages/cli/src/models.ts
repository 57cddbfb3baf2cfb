import { createAnthropic } from "@ai-sdk/anthropic";
import { createGoogleGenerativeAI } from "@ai-sdk/google";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4, LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { ConfigError, type EmbeddingModel, LLMProviderError } from "@deeprecall/core";
import { BACKENDS, type DeepRecallConfig, llmKeyVariable } from "./config/index.ts";

/**
 * Stands in for the LLM when no key is configured, so `serve` still starts: documents and
 * search work, and every model call fails with an `LLMProviderError` (status 503) that names
 * the variable to set. The server maps it to HTTP 503.
 */
export class UnconfiguredLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "unconfigured";
  readonly modelId: string;
  readonly supportedUrls: Record<string, RegExp[]> = {};
  readonly message: string;

  constructor(modelId: string, message: string) {
    this.modelId = modelId;
    this.message = message;
  }

  private fail(): never {
    throw new LLMProviderError(this.message, { status: 503, retryable: false });
  }

  doGenerate(_options: LanguageModelV4CallOptions): never {
    this.fail();
  }

  doStream(_options: LanguageModelV4CallOptions): never {
    this.fail();
  }
}

export interface LanguageModels {
  model: LanguageModelV4;
  subModel?: LanguageModelV4;
  /** False when no key is set: `model` is an UnconfiguredLanguageModel. */
  configured: boolean;
  /** The variable to set when not configured. */
  missingKeyVariable?: string;
  /** Why the LLM is unavailable (the 503 message), when not configured. */
  missingMessage?: string;
  /** e.g. "openai gpt-4o-mini" or "openai-compatible llama3.1 at http://localhost:11434/v1". */
  description: string;
}

type ProviderName = (typeof BACKENDS)[number];

function keyFor(config: DeepRecallConfig, backend: ProviderName): string | undefined {
  switch (backend) {
    case "openai":
      return config.openaiApiKey;
    case "anthropic":
      return config.anthropicApiKey;
    case "google":
      return config.googleApiKey;
    case "openai-compatible":
      return config.llmApiKey;
  }
}

function missingKeyMessage(config: DeepRecallConfig): string {
  const variable = llmKeyVariable(config);
  return `No language model configured: set ${variable} (or use --backend openai-compatible --base-url URL for a local server such as Ollama) to enable chat and queries`;
}

/** Builds a chat-capable provider factory for the backend; never reads process.env itself. */
function providerFor(config: DeepRecallConfig, backend: ProviderName, apiKey: string | undefined) {
  switch (backend) {
    case "openai": {
      const provider = createOpenAI({
        ...(apiKey ? { apiKey } : {}),
        ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      });
      return {
        language: (id: string) => provider(id),
        embedding: (id: string) => provider.embeddingModel(id),
      };
    }
    case "openai-compatible": {
      const provider = createOpenAICompatible({
        name: "openai-compatible",
        baseURL: config.baseUrl!,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
      });
      return {
        language: (id: string) => provider.chatModel(id),
        embedding: (id: string) => provider.embeddingModel(id),
      };
    }
    case "anthropic": {
      const provider = createAnthropic({ ...(apiKey ? { apiKey } : {}) });
      return {
        language: (id: string) => provider.languageModel(id),
        embedding: (): never => {
          throw new ConfigError(
            "--embedding-model: Anthropic has no embedding models; name another provider, e.g. openai:text-embedding-3-small",
            { field: "embeddingModel" },
          );
        },
      };
    }
    case "google": {
      const provider = createGoogleGenerativeAI({ ...(apiKey ? { apiKey } : {}) });
      return {
        language: (id: string) => provider.languageModel(id),
        embedding: (id: string) => provider.embeddingModel(id),
      };
    }
  }
}

/** The root model and sub-model for the configured backend, or a 503 stand-in when the key is missing. */
export function createLanguageModels(config: DeepRecallConfig): LanguageModels {
  const backend = config.backend;
  const modelId = config.model ?? "unconfigured";
  const apiKey = keyFor(config, backend);
  // An openai-compatible server (Ollama, vLLM, a test double) usually needs no key.
  const configured = backend === "openai-compatible" ? config.baseUrl !== undefined : apiKey !== undefined;
  const where = backend === "openai-compatible" ? ` at ${config.baseUrl}` : "";
  const description = `${backend} ${modelId}${config.subModel ? ` (sub-model ${config.subModel})` : ""}${where}`;
  if (!configured) {
    const message = missingKeyMessage(config);
    return {
      model: new UnconfiguredLanguageModel(modelId, message),
      configured: false,
      missingKeyVariable: llmKeyVariable(config),
      missingMessage: message,
      description,
    };
  }
  const provider = providerFor(config, backend, apiKey);
  const model = provider.language(modelId) as LanguageModelV4;
  const subModel = config.subModel ? (provider.language(config.subModel) as LanguageModelV4) : undefined;
  return { model, ...(subModel ? { subModel } : {}), configured: true, description };
}

function embeddingModelSpec(config: DeepRecallConfig, spec: string): { backend: ProviderName; id: string } {
  const colon = spec.indexOf(":");
  if (colon > 0 && (BACKENDS as readonly string[]).includes(spec.slice(0, colon))) {
    return { backend: spec.slice(0, colon) as ProviderName, id: spec.slice(colon + 1) };
  }
  return { backend: config.backend, id: spec };
}

/**
 * The model id of `--embedding-model` without its provider prefix ("openai:text-embedding-3-small"
 * → "text-embedding-3-small"): the name clients send to `POST /v1/embeddings`.
 */
export function embeddingModelId(config: DeepRecallConfig): string | undefined {
  return config.embeddingModel ? embeddingModelSpec(config, config.embeddingModel).id : undefined;
}

/**
 * The embedding model named by `--embedding-model`: "model" uses the LLM backend's provider,
 * "provider:model" another one (openai, openai-compatible or google), e.g.
 * "openai:text-embedding-3-small" next to an Anthropic LLM.
 */
export function createEmbeddingModel(config: DeepRecallConfig): EmbeddingModel | undefined {
  const spec = config.embeddingModel;
  if (!spec) return undefined;
  const { backend, id } = embeddingModelSpec(config, spec);
  const apiKey = keyFor(config, backend);
  if (backend === "openai-compatible" && !config.baseUrl) {
    throw new ConfigError("--embedding-model: openai-compatible embeddings need --base-url", {
      field: "embeddingModel",
    });
  }
  if (backend !== "openai-compatible" && !apiKey) {
    const variable = llmKeyVariable({ ...config, backend });
    throw new ConfigError(`--embedding-model: ${spec} needs ${variable} to be set`, {
      field: "embeddingModel",
    });
  }
  return providerFor(config, backend, apiKey).embedding(id) as EmbeddingModel;
}
