import { DEFAULT_MAX_TIME_SECONDS } from "@deeprecall/core";
import { z } from "zod";

/**
 * Every configuration value the CLI and apps/server understand, with where it may come from.
 * One table drives flags, environment variables, `deeprecall.toml` keys, defaults, masking and
 * the `status` output, so the sources can never drift apart.
 */
export interface FieldSpec {
  /** Command-line flag, e.g. "--persist-dir"; absent for values that must not be typed on a command line. */
  flag?: string;
  /** Environment variables, first wins. */
  env: string[];
  /** Key in deeprecall.toml; absent for secrets (they never belong in a file that gets committed). */
  toml?: string;
  /** zod schema applied to the raw value (a string from flags/env, any TOML value from the file). */
  schema: z.ZodType;
  /** Human description of what is accepted, used in error messages. */
  expected: string;
  /** One line for help texts and the generated deeprecall.toml. */
  description: string;
  secret?: boolean;
}

/** The per-query time budget (`maxTimeSeconds`) the CLI and the server use unless told otherwise. */
export { DEFAULT_MAX_TIME_SECONDS };

const nonEmpty = z.string().trim().min(1);

function intSchema(min: number, max: number) {
  return z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^[+-]?\d+$/),
    ])
    .transform((v) => Number(v))
    .pipe(z.number().int().min(min).max(max));
}

function numberSchema(minExclusive: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^[+-]?(\d+\.?\d*|\.\d+)$/),
    ])
    .transform((v) => Number(v))
    .pipe(z.number().gt(minExclusive).max(max));
}

function enumSchema<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(values));
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A byte count: a number, or a number with a unit (2MB, 1.5 GiB, 500kb; KB/MB/GB = 1000^n, K/KiB/M/MiB/G/GiB = 1024^n). */
function byteSizeSchema(min: number, max: number) {
  return z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^(\d+(?:\.\d+)?|\.\d+)\s*(b|kb|mb|gb|k|m|g|kib|mib|gib)?$/i),
    ])
    .transform((v) => {
      if (typeof v === "number") return v;
      const [, amount, unit = ""] = /^([\d.]+)\s*([a-z]*)$/i.exec(v.trim())!;
      return Math.round(Number(amount) * SIZE_UNITS[unit.toLowerCase()]!);
    })
    .pipe(z.number().int().min(min).max(max));
}

const listSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0))
  .pipe(z.array(z.string()).min(1));

/** Browser origins for CORS: "*" or scheme://host[:port] (a trailing slash is dropped: browsers never send one). */
const corsSchema = listSchema
  .transform((list) => list.map((origin) => (origin === "*" ? origin : origin.replace(/\/+$/, ""))))
  .pipe(z.array(z.string().regex(/^(\*|[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+)$/i)).min(1));

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/ }));

export const VECTORSTORES = ["local", "chroma", "pinecone"] as const;
export const BACKENDS = ["openai", "openai-compatible", "anthropic", "google"] as const;
export const STRATEGIES = ["repl", "tools"] as const;
export const CACHES = ["none", "memory", "sqlite"] as const;

export const FIELDS = {
  // --- store ---
  vectorstore: {
    flag: "--vectorstore",
    env: ["DEEPRECALL_VECTORSTORE"],
    toml: "vectorstore",
    schema: enumSchema(VECTORSTORES),
    expected: "one of local, chroma, pinecone",
    description: "Vector store: local (embedded, no server), chroma or pinecone",
  },
  collection: {
    flag: "--collection",
    env: ["DEEPRECALL_COLLECTION"],
    toml: "collection",
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    expected: "a name of letters, digits, '.', '_' or '-' (max 128)",
    description: "Collection (Chroma/local) name",
  },
  persistDir: {
    flag: "--persist-dir",
    env: ["DEEPRECALL_PERSIST_DIR"],
    toml: "persist_dir",
    schema: nonEmpty,
    expected: "a directory path",
    description: "Where the local store (and a bundled Chroma server, the SQLite cache) keep their data",
  },
  chromaUrl: {
    flag: "--chroma-url",
    env: ["DEEPRECALL_CHROMA_URL", "CHROMA_URL"],
    toml: "chroma_url",
    schema: httpUrl,
    expected: "an http(s) URL",
    description: "URL of a running Chroma server; without it a bundled local Chroma is started",
  },
  pineconeIndex: {
    flag: "--pinecone-index",
    env: ["DEEPRECALL_PINECONE_INDEX", "PINECONE_INDEX"],
    toml: "pinecone_index",
    schema: nonEmpty,
    expected: "an index name",
    description: "Pinecone index name",
  },
  pineconeNamespace: {
    flag: "--pinecone-namespace",
    env: ["DEEPRECALL_PINECONE_NAMESPACE", "PINECONE_NAMESPACE"],
    toml: "pinecone_namespace",
    schema: nonEmpty,
    expected: "a namespace name",
    description: "Pinecone namespace",
  },
  embeddingModel: {
    flag: "--embedding-model",
    env: ["DEEPRECALL_EMBEDDING_MODEL"],
    toml: "embedding_model",
    schema: nonEmpty,
    expected: "a model id",
    description: "Embedding model of the LLM backend (e.g. text-embedding-3-small); local store: optional",
  },
  // --- LLM ---
  backend: {
    flag: "--backend",
    env: ["DEEPRECALL_BACKEND"],
    toml: "backend",
    schema: enumSchema(BACKENDS),
    expected: "one of openai, openai-compatible, anthropic, google",
    description: "LLM provider (openai-compatible talks Chat Completions to --base-url)",
  },
  model: {
    flag: "--model",
    env: ["DEEPRECALL_MODEL"],
    toml: "model",
    schema: nonEmpty,
    expected: "a model id",
    description: "Root model id",
  },
  subModel: {
    flag: "--sub-model",
    env: ["DEEPRECALL_SUB_MODEL"],
    toml: "sub_model",
    schema: nonEmpty,
    expected: "a model id",
    description: "Model for sub-LLM calls (llmQuery); defaults to --model",
  },
  baseUrl: {
    flag: "--base-url",
    env: ["DEEPRECALL_BASE_URL"],
    toml: "base_url",
    schema: httpUrl,
    expected: "an http(s) URL",
    description: "Base URL of the LLM API (Ollama, vLLM, LM Studio, OpenRouter: http://host:port/v1)",
  },
  // --- engine ---
  strategy: {
    flag: "--strategy",
    env: ["DEEPRECALL_STRATEGY"],
    toml: "strategy",
    schema: enumSchema(STRATEGIES),
    expected: "one of repl, tools",
    description: "repl (model writes sandboxed JavaScript) or tools (native tool calling)",
  },
  maxIterations: {
    flag: "--max-iterations",
    env: ["DEEPRECALL_MAX_ITERATIONS"],
    toml: "max_iterations",
    schema: intSchema(1, 100),
    expected: "an integer 1-100",
    description:
      'Budget: model turns per query before a forced answer; same as a request\'s "deeprecall": {"budget": {"max_iterations": N}}',
  },
  maxDepth: {
    flag: "--max-depth",
    env: ["DEEPRECALL_MAX_DEPTH"],
    toml: "max_depth",
    schema: intSchema(1, 5),
    expected: "an integer 1-5",
    description: "Recursion depth of llmQuery (1 = plain sub-LLM calls)",
  },
  sandboxWorkers: {
    flag: "--sandbox-workers",
    env: ["DEEPRECALL_SANDBOX_WORKERS"],
    toml: "sandbox_workers",
    schema: intSchema(1, 256),
    expected: "an integer 1-256",
    description:
      "Most sandbox worker threads at once (default 8, ~30 MiB each): a query running code holds one; more such queries wait",
  },
  topK: {
    flag: "--top-k",
    env: ["DEEPRECALL_TOP_K"],
    toml: "top_k",
    schema: intSchema(1, 200),
    expected: "an integer 1-200",
    description: "Default number of hits per search",
  },
  maxSearches: {
    flag: "--max-searches",
    env: ["DEEPRECALL_MAX_SEARCHES"],
    toml: "max_searches",
    schema: intSchema(1, 100_000),
    expected: "an integer 1-100000",
    description: "Budget: search calls per query",
  },
  maxTokens: {
    flag: "--max-tokens",
    env: ["DEEPRECALL_MAX_TOKENS"],
    toml: "max_tokens",
    schema: intSchema(1, 1_000_000_000),
    expected: "a positive integer",
    description: "Budget: tokens per query (all model calls)",
  },
  maxTime: {
    flag: "--max-time",
    env: ["DEEPRECALL_MAX_TIME"],
    toml: "max_time",
    schema: numberSchema(0, 86_400),
    expected: "a number of seconds > 0 (max 86400)",
    description: "Budget: seconds per query (default 300; the run then ends with a best-effort answer)",
  },
  maxCost: {
    flag: "--max-cost",
    env: ["DEEPRECALL_MAX_COST"],
    toml: "max_cost",
    schema: numberSchema(0),
    expected: "a number of USD > 0",
    description: "Budget: USD per query (needs pricing from the provider)",
  },
  cache: {
    flag: "--cache",
    env: ["DEEPRECALL_CACHE"],
    toml: "cache",
    schema: enumSchema(CACHES),
    expected: "one of none, memory, sqlite",
    description:
      "Cache of search results (and of whole answers with --cache-answers on): none, memory (LRU) or sqlite (under --persist-dir)",
  },
  cacheAnswers: {
    flag: "--cache-answers",
    env: ["DEEPRECALL_CACHE_ANSWERS"],
    toml: "cache_answers",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description:
      "Also cache whole answers (needs --cache): a repeated question is then answered from the cache without asking the model; off = every question runs fresh",
  },
  cacheTtl: {
    flag: "--cache-ttl",
    env: ["DEEPRECALL_CACHE_TTL"],
    toml: "cache_ttl",
    schema: intSchema(1, 31_536_000),
    expected: "a number of seconds 1-31536000",
    description: "Cache entry lifetime in seconds",
  },
  logFile: {
    flag: "--log-file",
    env: ["DEEPRECALL_LOG_FILE"],
    toml: "log_file",
    schema: nonEmpty,
    expected: "a file path",
    description: "Append one JSON line per engine event to this file",
  },
  // --- server ---
  host: {
    flag: "--host",
    env: ["DEEPRECALL_HOST", "HOST"],
    toml: "host",
    schema: nonEmpty,
    expected: "a host name or IP address",
    description: "Address the server binds to",
  },
  port: {
    flag: "--port",
    env: ["DEEPRECALL_PORT", "PORT"],
    toml: "port",
    schema: intSchema(0, 65_535),
    expected: "an integer 1-65535 (0 = any free port)",
    description: "Port the server listens on",
  },
  apiKeys: {
    flag: "--api-keys",
    env: ["DEEPRECALL_API_KEYS"],
    schema: listSchema,
    expected: "a comma-separated list of keys",
    description: "Bearer keys clients must send (auth is off without them)",
    secret: true,
  },
  cors: {
    flag: "--cors",
    env: ["DEEPRECALL_CORS"],
    toml: "cors",
    schema: corsSchema,
    expected: "a comma-separated list of origins (e.g. https://app.example.com) or *",
    description: "Allow browsers on these origins to call the API (CORS); * allows any origin",
  },
  rateLimit: {
    flag: "--rate-limit",
    env: ["DEEPRECALL_RATE_LIMIT"],
    toml: "rate_limit",
    schema: intSchema(1, 1_000_000),
    expected: "an integer >= 1 (requests per minute)",
    description: "Requests per minute per API key (per IP without a key)",
  },
  trustProxy: {
    flag: "--trust-proxy",
    env: ["DEEPRECALL_TRUST_PROXY"],
    toml: "trust_proxy",
    schema: intSchema(0, 10),
    expected: "a whole number of proxies 0-10",
    description:
      "Reverse proxies in front of the server that append to X-Forwarded-For (e.g. 1 behind nginx): failed-auth throttling and per-IP rate limits then count each client, not the proxy",
  },
  redisUrl: {
    flag: "--redis-url",
    env: ["DEEPRECALL_REDIS_URL", "REDIS_URL"],
    schema: z
      .string()
      .trim()
      .pipe(z.url({ protocol: /^rediss?$/ })),
    expected: "a redis:// or rediss:// URL",
    description:
      "Share rate limits, the cache and usage totals with other replicas through this Redis (may hold a password)",
    secret: true,
  },
  redisFailure: {
    flag: "--redis-failure",
    env: ["DEEPRECALL_REDIS_FAILURE"],
    toml: "redis_failure",
    schema: enumSchema(["open", "closed"]),
    expected: "open or closed",
    description:
      "When Redis is unreachable: open = serve anyway (rate limit and cache skipped, logged), closed = answer 503",
  },
  mcp: {
    flag: "--mcp",
    env: ["DEEPRECALL_MCP"],
    toml: "mcp",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description: "Serve MCP (Streamable HTTP) at /mcp with the tools search and ask, behind the same auth",
  },
  console: {
    flag: "--console",
    env: ["DEEPRECALL_CONSOLE"],
    toml: "console",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description:
      "Serve the web console at / (ask with a live trace, upload and manage documents, usage); it asks for an API key when auth is on",
  },
  metrics: {
    flag: "--metrics",
    env: ["DEEPRECALL_METRICS"],
    toml: "metrics",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description: "Serve Prometheus metrics at GET /metrics (behind the API keys when auth is on)",
  },
  storeResponses: {
    flag: "--store-responses",
    env: ["DEEPRECALL_STORE_RESPONSES"],
    toml: "store_responses",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description:
      "Keep Responses API responses in memory (the last 1000, per API key) for previous_response_id and GET /v1/responses/{id}; off = none kept, whatever `store` asks",
  },
  taskRouting: {
    flag: "--task-routing",
    env: ["DEEPRECALL_TASK_ROUTING"],
    toml: "task_routing",
    schema: enumSchema(["on", "off"]),
    expected: "on or off",
    description:
      "Send chat UIs' housekeeping requests (titles, tags, follow-ups) to the task model: one model call, no retrieval",
  },
  taskModel: {
    flag: "--task-model",
    env: ["DEEPRECALL_TASK_MODEL"],
    toml: "task_model",
    schema: z
      .string()
      .trim()
      .regex(/^[^\s]{1,200}$/),
    expected: "a model id without spaces (max 200), or off",
    description: "The task model's id in /v1/models (default deeprecall-task); off serves none",
  },
  publicUrl: {
    flag: "--public-url",
    env: ["DEEPRECALL_PUBLIC_URL"],
    toml: "public_url",
    schema: httpUrl,
    expected: "an http(s) URL, e.g. https://recall.example.com",
    description: "The server's public base URL, for citation links (default: each request's origin)",
  },
  bodyLimit: {
    flag: "--body-limit",
    env: ["DEEPRECALL_BODY_LIMIT"],
    toml: "body_limit",
    schema: byteSizeSchema(1024, 1_000_000_000),
    expected: "a size of at least 1KB and at most 1GB: bytes, or with a unit (10MB, 4MiB)",
    description:
      "The largest JSON request body the server takes (long chat histories, big document batches); larger is a 413 (default 1 MiB)",
  },
  // --- ingest ---
  chunkSize: {
    flag: "--chunk-size",
    env: ["DEEPRECALL_CHUNK_SIZE"],
    toml: "chunk_size",
    schema: intSchema(50, 100_000),
    expected: "an integer 50-100000 (characters)",
    description: "Ingest: characters per chunk",
  },
  chunkOverlap: {
    flag: "--chunk-overlap",
    env: ["DEEPRECALL_CHUNK_OVERLAP"],
    toml: "chunk_overlap",
    schema: intSchema(0, 50_000),
    expected: "an integer >= 0 (characters)",
    description: "Ingest: characters shared by consecutive chunks",
  },
  maxFileSize: {
    flag: "--max-file-size",
    env: ["DEEPRECALL_MAX_FILE_SIZE"],
    toml: "max_file_size",
    schema: byteSizeSchema(1, 2_000_000_000),
    expected: "a size of at least 1 byte and at most 2GB: bytes, or with a unit (500KB, 2MB, 1GiB)",
    description: "Ingest: larger files are skipped (bytes, or KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n)",
  },
  // --- secrets (environment only) ---
  openaiApiKey: {
    env: ["OPENAI_API_KEY"],
    schema: nonEmpty,
    expected: "an API key",
    description: "OpenAI API key",
    secret: true,
  },
  anthropicApiKey: {
    env: ["ANTHROPIC_API_KEY"],
    schema: nonEmpty,
    expected: "an API key",
    description: "Anthropic API key",
    secret: true,
  },
  googleApiKey: {
    env: ["GOOGLE_GENERATIVE_AI_API_KEY"],
    schema: nonEmpty,
    expected: "an API key",
    description: "Google Generative AI API key",
    secret: true,
  },
  llmApiKey: {
    env: ["DEEPRECALL_LLM_API_KEY"],
    schema: nonEmpty,
    expected: "an API key",
    description:
      "API key sent to an openai-compatible --base-url (never OPENAI_API_KEY, to keep it from third parties)",
    secret: true,
  },
  pineconeApiKey: {
    env: ["PINECONE_API_KEY"],
    schema: nonEmpty,
    expected: "an API key",
    description: "Pinecone API key",
    secret: true,
  },
} satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

type Out<K extends FieldName> = z.output<(typeof FIELDS)[K]["schema"]>;

/** Defaults applied when no source sets a value. Model defaults depend on the backend (see resolve). */
export const DEFAULTS = {
  vectorstore: "local",
  collection: "deeprecall",
  persistDir: ".deeprecall",
  backend: "openai",
  strategy: "repl",
  topK: 5,
  // A default per-query time budget: a model that never finishes cannot hold a query forever.
  maxTime: DEFAULT_MAX_TIME_SECONDS,
  cache: "memory",
  cacheTtl: 3600,
  cacheAnswers: "off",
  host: "127.0.0.1",
  port: 8000,
  chunkSize: 1000,
  chunkOverlap: 200,
  maxFileSize: 20 * 1024 * 1024,
  redisFailure: "open",
  metrics: "off",
  mcp: "off",
  console: "on",
  taskRouting: "on",
  storeResponses: "on",
} as const satisfies { [K in FieldName]?: Out<K> };

export const DEFAULT_MODELS: Record<(typeof BACKENDS)[number], string | undefined> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-5",
  google: "gemini-2.5-flash",
  // An openai-compatible server hosts whatever it hosts: the user names the model.
  "openai-compatible": undefined,
};

/** Fields by what they configure: which flags a command takes, and the sections of `init`'s template. */
export const STORE_FIELDS: FieldName[] = [
  "vectorstore",
  "collection",
  "persistDir",
  "chromaUrl",
  "pineconeIndex",
  "pineconeNamespace",
  "embeddingModel",
];
export const LLM_FIELDS: FieldName[] = ["backend", "model", "subModel", "baseUrl"];
export const ENGINE_FIELDS: FieldName[] = [
  "strategy",
  "maxIterations",
  "maxDepth",
  "sandboxWorkers",
  "topK",
  "maxSearches",
  "maxTokens",
  "maxTime",
  "maxCost",
  "cache",
  "cacheTtl",
  "cacheAnswers",
  "logFile",
];
export const SERVER_FIELDS: FieldName[] = [
  "host",
  "port",
  "apiKeys",
  "cors",
  "rateLimit",
  "trustProxy",
  "redisUrl",
  "redisFailure",
  "console",
  "metrics",
  "mcp",
  "taskRouting",
  "taskModel",
  "publicUrl",
  "bodyLimit",
  "storeResponses",
];
export const INGEST_FIELDS: FieldName[] = ["chunkSize", "chunkOverlap", "maxFileSize"];
