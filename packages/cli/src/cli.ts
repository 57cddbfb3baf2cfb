import { createRequire } from "node:module";
import { Command, CommanderError, Option } from "commander";
import {
  addCommonOptions,
  addConfigOptions,
  type CommandContext,
  ENGINE_FIELDS,
  INGEST_FIELDS,
  LLM_FIELDS,
  SERVER_FIELDS,
  STORE_FIELDS,
} from "./commands/common.ts";
import { exitCodeFor, type Io, oneLine, processIo } from "./output.ts";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

export interface MainOptions {
  io?: Io;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Builds the `deeprecall` program. Actions load their command module lazily (fast --help). */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command("deeprecall")
    .description(
      "DeepRecall: an LLM that searches your documents, reasons over them in a sandbox, and answers.",
    )
    .version(version, "-V, --version")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
    })
    .exitOverride();

  const serve = program
    .command("serve")
    .description("Run the OpenAI-compatible HTTP server")
    .option("--verbose", "log every request to stderr");
  addConfigOptions(serve, [
    ...STORE_FIELDS,
    ...LLM_FIELDS,
    ...ENGINE_FIELDS,
    ...SERVER_FIELDS,
    ...INGEST_FIELDS,
  ]);
  addCommonOptions(serve).action(async (opts) => {
    const { runServe } = await import("./commands/serve.ts");
    await runServe(ctx, opts);
  });

  const query = program
    .command("query")
    .description("Ask one question and print the answer, sources and stats")
    .argument("<question>", "the question")
    .option("--verbose", "show the reasoning live (code, searches, outputs) on stderr")
    .option("--json", "print the full result as JSON")
    .option("--filters <json>", 'metadata filter for every search, e.g. \'{"source":"docs/a.md"}\'');
  addConfigOptions(query, [...STORE_FIELDS, ...LLM_FIELDS, ...ENGINE_FIELDS]);
  addCommonOptions(query).action(async (question: string, opts) => {
    const { runQuery } = await import("./commands/query.ts");
    await runQuery(ctx, question, opts);
  });

  const ingest = program
    .command("ingest")
    .description(
      "Add files to the store: .txt .md .json .csv, source code, .html, .pdf (file, directory or glob)",
    )
    .argument("[paths...]", "file, directory (recursive) or glob; the same as --path")
    .addOption(new Option("--path <path...>", "file, directory (recursive) or glob; repeatable"))
    .option(
      "--sync",
      "also remove the chunks of files under --path that are gone (a folder that stays in sync); unchanged files are always skipped",
    )
    .option("--watch", "keep syncing as files change (implies --sync; Ctrl+C to stop)")
    .option(
      "--debounce <ms>",
      "with --watch: wait this long after the last change before syncing (default 500)",
    )
    .option("--json", "print the summary as JSON");
  addConfigOptions(ingest, [...STORE_FIELDS, ...INGEST_FIELDS, "apiKeys"]);
  addCommonOptions(ingest).action(async (paths: string[], opts) => {
    const { runIngest } = await import("./commands/ingest.ts");
    await runIngest(ctx, opts, paths);
  });

  const del = program
    .command("delete")
    .description("Delete documents by id, or every chunk of ingested files (--path)")
    .argument("[ids...]", "ids to delete")
    .option("--ids <list>", "comma-separated ids")
    .addOption(
      new Option("--path <path...>", "an ingested file, or a folder: delete the chunks of its files"),
    )
    .option("--json", "print the result as JSON");
  addConfigOptions(del, [...STORE_FIELDS, "apiKeys"]);
  addCommonOptions(del).action(async (ids: string[], opts) => {
    const { runDelete } = await import("./commands/delete.ts");
    await runDelete(ctx, ids, opts);
  });

  const mcp = program
    .command("mcp")
    .description("Serve MCP over stdio (tools: search, ask) for MCP clients such as Claude Desktop");
  addConfigOptions(mcp, [...STORE_FIELDS, ...LLM_FIELDS, ...ENGINE_FIELDS]);
  addCommonOptions(mcp).action(async (opts) => {
    const { runMcp } = await import("./commands/mcp.ts");
    await runMcp(ctx, opts);
  });

  const init = program
    .command("init")
    .description("Write a commented deeprecall.toml here (never overwrites)");
  addCommonOptions(init).action(async (opts) => {
    const { runInit } = await import("./commands/init.ts");
    await runInit(ctx, opts);
  });

  const status = program
    .command("status")
    .description("Show versions, the configuration in effect (secrets masked), store and model")
    .option("--json", "print as JSON");
  addConfigOptions(status, [
    ...STORE_FIELDS,
    ...LLM_FIELDS,
    ...ENGINE_FIELDS,
    ...SERVER_FIELDS,
    ...INGEST_FIELDS,
  ]);
  addCommonOptions(status).action(async (opts) => {
    const { runStatus } = await import("./commands/status.ts");
    await runStatus(ctx, opts);
  });

  const benchmark = program
    .command("benchmark")
    .description(
      "Run queries from a JSON file in the recursive mode and as single-pass RAG (top-k search + one call of the same model); report accuracy, tokens, time (p50/p95), steps and sources of both",
    )
    .requiredOption(
      "--queries <file>",
      'JSON array of strings or {"query": "...", "expected": ["keyword", ...]} objects (expected keywords score accuracy)',
    )
    .option("--mode <mode>", "both (default), recursive or rag")
    .option("--output <file>", "also write the full report as JSON")
    .option("--json", "print the full report as JSON");
  addConfigOptions(benchmark, [...STORE_FIELDS, ...LLM_FIELDS, ...ENGINE_FIELDS]);
  addCommonOptions(benchmark).action(async (opts) => {
    const { runBenchmark } = await import("./commands/benchmark.ts");
    await runBenchmark(ctx, opts);
  });

  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

/**
 * Runs the CLI; resolves to the exit code. Failures print one line on stderr ("error: ..."),
 * plus the stack with --debug. `serve` resolves once listening and keeps the process alive.
 */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const ctx: CommandContext = {
    io: options.io ?? processIo,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
  };
  const debug = argv.includes("--debug");
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its one-line message (or the help/version text).
      return error.exitCode === 0 ||
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version"
        ? 0
        : 2;
    }
    ctx.io.err(`error: ${oneLine(error)}`);
    if (debug && error instanceof Error && error.stack) ctx.io.err(error.stack);
    return exitCodeFor(error);
  }
}
