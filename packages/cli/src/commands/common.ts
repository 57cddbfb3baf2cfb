import { type Command, Option } from "commander";
import {
  FIELDS,
  type FieldName,
  type FieldSpec,
  type ResolvedConfig,
  resolveConfig,
} from "../config/index.ts";
import type { Io } from "../output.ts";

export interface CommandContext {
  io: Io;
  cwd: string;
  env: Record<string, string | undefined>;
}

export {
  ENGINE_FIELDS,
  INGEST_FIELDS,
  LLM_FIELDS,
  SERVER_FIELDS,
  STORE_FIELDS,
} from "../config/fields.ts";

/** Adds `--flag <value>` options for config fields (no defaults here: unset means "ask the next source"). */
export function addConfigOptions(command: Command, fields: FieldName[]): Command {
  for (const name of fields) {
    const spec: FieldSpec = FIELDS[name];
    if (!spec.flag) continue;
    const env = spec.env.length > 0 ? ` [env ${spec.env[0]}]` : "";
    command.addOption(new Option(`${spec.flag} <value>`, `${spec.description}${env}`));
  }
  return command;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option(
      "--config <file>",
      "deeprecall.toml to read (default: ./deeprecall.toml when present) [env DEEPRECALL_CONFIG]",
    )
    .option("--debug", "print stack traces on errors");
}

export function loadConfig(ctx: CommandContext, opts: Record<string, unknown>): ResolvedConfig {
  return resolveConfig({
    flags: opts,
    env: ctx.env,
    cwd: ctx.cwd,
    ...(typeof opts.config === "string" ? { configFile: opts.config } : {}),
  });
}
