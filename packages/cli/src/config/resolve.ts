import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { ConfigError } from "@deeprecall/core";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { DEFAULT_MODELS, DEFAULTS, FIELD_NAMES, FIELDS, type FieldName, type FieldSpec } from "./fields.ts";

type Out<K extends FieldName> = z.output<(typeof FIELDS)[K]["schema"]>;
type Defaulted = keyof typeof DEFAULTS;

/** The one typed configuration every command and apps/server runs from. */
export type DeepRecallConfig = { -readonly [K in Defaulted]: Out<K> } & {
  -readonly [K in Exclude<FieldName, Defaulted>]?: Out<K>;
};

export type SourceKind = "flag" | "environment" | "config file" | "default";

export interface ValueSource {
  kind: SourceKind;
  /** The name under that source: "--port", "DEEPRECALL_PORT", "port", ... */
  key: string;
  /** For "config file": the file. */
  file?: string;
}

export interface ResolvedConfig {
  config: DeepRecallConfig;
  /** Where each set value came from. */
  sources: Partial<Record<FieldName, ValueSource>>;
  /** The deeprecall.toml that was read, if any. */
  configFile?: string;
  /** The .env file that was read, if any. */
  envFile?: string;
}

export interface ResolveConfigInput {
  /** Parsed command-line flags keyed by config field name (commander's camelCase). undefined = not given. */
  flags?: Partial<Record<string, unknown>>;
  /** The process environment (not modified). Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Directory for ./deeprecall.toml, ./.env and relative paths. Defaults to process.cwd(). */
  cwd?: string;
  /** Explicit config file (from --config); false disables the file. */
  configFile?: string | false;
  /** Load `.env` from cwd (without overriding real environment variables). Default true. */
  dotenv?: boolean;
}

export const CONFIG_FILE_NAME = "deeprecall.toml";

function describeSource(source: ValueSource): string {
  if (source.kind === "flag") return "from flag";
  if (source.kind === "environment") return "from environment";
  if (source.kind === "config file")
    return `from ${source.file ? path.basename(source.file) : CONFIG_FILE_NAME}`;
  return "default";
}

function showValue(raw: unknown, secret: boolean | undefined): string {
  if (secret) return "(hidden)";
  if (typeof raw !== "string") return JSON.stringify(raw) ?? String(raw);
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
}

function parseField(name: FieldName, raw: unknown, source: ValueSource): unknown {
  const spec: FieldSpec = FIELDS[name];
  const result = spec.schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `${source.key}: expected ${spec.expected}, got ${showValue(raw, spec.secret)} (${describeSource(source)})`,
      { field: name },
    );
  }
  return result.data;
}

/** Reads `.env` in `cwd` and returns env with its values added where env has none. */
export function loadDotEnv(
  cwd: string,
  env: Record<string, string | undefined>,
): { env: Record<string, string | undefined>; file?: string } {
  const file = path.join(cwd, ".env");
  if (!existsSync(file)) return { env };
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {
      field: ".env",
      cause: error,
    });
  }
  const merged: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(parsed)) {
    if (merged[key] === undefined || merged[key] === "") merged[key] = value;
  }
  return { env: merged, file };
}

const TOML_KEYS = new Map<string, FieldName>(
  FIELD_NAMES.flatMap((name) => {
    const toml = (FIELDS[name] as FieldSpec).toml;
    return toml ? [[toml, name] as const] : [];
  }),
);

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT"
        ? `config file not found: ${file}`
        : `cannot read config file ${file}: ${code ?? error}`,
      { field: "config", cause: error },
    );
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}` : "syntax error";
    const first = (error as Error).message.split("\n")[0];
    throw new ConfigError(`${path.basename(file)}: invalid TOML at ${detail}: ${first}`, {
      field: "config",
      cause: error,
    });
  }
}

function isPathField(name: FieldName): boolean {
  return name === "persistDir" || name === "logFile";
}

/**
 * Resolves the configuration: flags > environment (incl. `.env`) > deeprecall.toml > defaults.
 * Throws `ConfigError` naming the key and its source for the first bad value.
 */
export function resolveConfig(input: ResolveConfigInput = {}): ResolvedConfig {
  const cwd = path.resolve(input.cwd ?? process.cwd());
  const baseEnv = input.env ?? process.env;
  const { env, file: envFile } = input.dotenv === false ? { env: baseEnv } : loadDotEnv(cwd, baseEnv);
  const flags = input.flags ?? {};

  // Locate the config file: --config > DEEPRECALL_CONFIG > ./deeprecall.toml when present.
  let configFile: string | undefined;
  if (input.configFile !== false) {
    const explicit = input.configFile ?? (env.DEEPRECALL_CONFIG || undefined);
    if (explicit) configFile = path.resolve(cwd, explicit);
    else if (existsSync(path.join(cwd, CONFIG_FILE_NAME))) configFile = path.join(cwd, CONFIG_FILE_NAME);
  }
  const fileValues = configFile ? readConfigFile(configFile) : {};
  for (const key of Object.keys(fileValues)) {
    if (!TOML_KEYS.has(key)) {
      const secretField = FIELD_NAMES.find((n) => n.toLowerCase() === key.replace(/_/g, "").toLowerCase());
      const hint =
        secretField && (FIELDS[secretField] as FieldSpec).secret
          ? ` (secrets are read from the environment: ${FIELDS[secretField].env.join(" or ")})`
          : ` (known keys: ${[...TOML_KEYS.keys()].join(", ")})`;
      throw new ConfigError(`${key}: unknown key in ${path.basename(configFile!)}${hint}`, { field: key });
    }
  }

  const config: Record<string, unknown> = {};
  const sources: Partial<Record<FieldName, ValueSource>> = {};
  for (const name of FIELD_NAMES) {
    const spec: FieldSpec = FIELDS[name];
    let raw: unknown;
    let source: ValueSource | undefined;
    const flagValue = flags[name];
    if (spec.flag && flagValue !== undefined) {
      raw = flagValue;
      source = { kind: "flag", key: spec.flag };
    } else {
      const envKey = spec.env.find((k) => env[k] !== undefined && env[k] !== "");
      if (envKey) {
        raw = env[envKey];
        source = { kind: "environment", key: envKey };
      } else if (spec.toml && configFile && fileValues[spec.toml] !== undefined) {
        raw = fileValues[spec.toml];
        source = { kind: "config file", key: spec.toml, file: configFile };
      }
    }
    if (source) {
      let value = parseField(name, raw, source);
      if (isPathField(name) && typeof value === "string") {
        const base = source.kind === "config file" && source.file ? path.dirname(source.file) : cwd;
        value = path.resolve(base, value);
      }
      config[name] = value;
      sources[name] = source;
    } else if (name in DEFAULTS) {
      let value: unknown = DEFAULTS[name as Defaulted];
      if (isPathField(name) && typeof value === "string") value = path.resolve(cwd, value);
      config[name] = value;
      sources[name] = { kind: "default", key: name };
    }
  }

  // --base-url alone means an OpenAI-compatible server.
  if (config.baseUrl !== undefined && sources.backend?.kind === "default") {
    config.backend = "openai-compatible";
  }
  const typed = config as DeepRecallConfig;
  if (typed.model === undefined) {
    const fallback = DEFAULT_MODELS[typed.backend];
    if (fallback) {
      typed.model = fallback;
      sources.model = { kind: "default", key: "model" };
    }
  }
  crossCheck(typed, sources);
  return { config: typed, sources, ...(configFile ? { configFile } : {}), ...(envFile ? { envFile } : {}) };
}

function crossCheck(config: DeepRecallConfig, sources: Partial<Record<FieldName, ValueSource>>): void {
  if (config.chunkOverlap >= config.chunkSize) {
    const src = sources.chunkOverlap!;
    throw new ConfigError(
      `${src.key}: expected less than the chunk size ${config.chunkSize}, got ${config.chunkOverlap} (${describeSource(src)})`,
      { field: "chunkOverlap" },
    );
  }
  if (config.backend === "openai-compatible" && config.baseUrl === undefined) {
    const src = sources.backend!;
    throw new ConfigError(
      `${src.key}: openai-compatible needs --base-url (or DEEPRECALL_BASE_URL), e.g. http://localhost:11434/v1 (${describeSource(src)})`,
      { field: "baseUrl" },
    );
  }
  if (config.backend === "openai-compatible" && config.model === undefined) {
    throw new ConfigError(
      `--model: required with the openai-compatible backend (the model name your server hosts, e.g. llama3.1)`,
      { field: "model" },
    );
  }
  if (config.vectorstore === "pinecone" && config.pineconeIndex === undefined) {
    throw new ConfigError(`--pinecone-index: required with --vectorstore pinecone (or set PINECONE_INDEX)`, {
      field: "pineconeIndex",
    });
  }
}

/** Which environment variable holds the key for the configured backend. */
export function llmKeyVariable(config: DeepRecallConfig): string {
  switch (config.backend) {
    case "openai":
      return "OPENAI_API_KEY";
    case "anthropic":
      return "ANTHROPIC_API_KEY";
    case "google":
      return "GOOGLE_GENERATIVE_AI_API_KEY";
    case "openai-compatible":
      return "DEEPRECALL_LLM_API_KEY";
  }
}

export function describeValueSource(source: ValueSource | undefined): string {
  return source ? describeSource(source) : "unset";
}
