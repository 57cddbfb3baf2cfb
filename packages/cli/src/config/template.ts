import {
  DEFAULT_MODELS,
  DEFAULTS,
  ENGINE_FIELDS,
  FIELD_NAMES,
  FIELDS,
  type FieldName,
  type FieldSpec,
  INGEST_FIELDS,
  LLM_FIELDS,
  SERVER_FIELDS,
  STORE_FIELDS,
} from "./fields.ts";

const SECTIONS: Array<{ title: string; fields: FieldName[] }> = [
  { title: "Vector store", fields: STORE_FIELDS },
  { title: "LLM", fields: LLM_FIELDS },
  { title: "Engine and per-query budget", fields: ENGINE_FIELDS },
  // Secrets (API keys, the Redis URL) have no TOML key and are skipped below.
  { title: "Server (deeprecall serve)", fields: SERVER_FIELDS },
  { title: "Ingest", fields: INGEST_FIELDS },
];

function tomlValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The commented deeprecall.toml written by `deeprecall init`. Every line is a valid TOML comment or key. */
export function configTemplate(): string {
  const lines: string[] = [
    "# deeprecall.toml: read by every deeprecall command run in this directory.",
    "# Precedence: command-line flags > environment variables (and .env) > this file > defaults.",
    "# Uncomment a line to change a value. Secrets never go here: set them in the environment or .env",
    "# (OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY, DEEPRECALL_LLM_API_KEY,",
    "# PINECONE_API_KEY, DEEPRECALL_API_KEYS).",
  ];
  const covered = new Set<FieldName>();
  for (const section of SECTIONS) {
    lines.push("", `# --- ${section.title} ---`);
    for (const name of section.fields) {
      covered.add(name);
      const spec: FieldSpec = FIELDS[name];
      if (!spec.toml) continue;
      const env = spec.env.length > 0 ? `; env ${spec.env.join(", ")}` : "";
      lines.push(`# ${spec.description} (${spec.expected}; flag ${spec.flag}${env})`);
      const fallback =
        name === "model" ? DEFAULT_MODELS.openai : (DEFAULTS as Partial<Record<FieldName, unknown>>)[name];
      lines.push(fallback === undefined ? `# ${spec.toml} = ` : `# ${spec.toml} = ${tomlValue(fallback)}`);
    }
  }
  const missing = FIELD_NAMES.filter((n) => (FIELDS[n] as FieldSpec).toml && !covered.has(n));
  if (missing.length > 0) throw new Error(`template misses ${missing.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
