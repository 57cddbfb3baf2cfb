import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE_NAME, configTemplate } from "../config/index.ts";
import { CliError, EXIT_USAGE } from "../output.ts";
import type { CommandContext } from "./common.ts";

export async function runInit(ctx: CommandContext, opts: { config?: string }): Promise<void> {
  const file = path.resolve(ctx.cwd, opts.config ?? CONFIG_FILE_NAME);
  if (existsSync(file)) {
    throw new CliError(
      `${file} already exists; not overwriting it (edit it, or delete it and run init again)`,
      EXIT_USAGE,
    );
  }
  try {
    writeFileSync(file, configTemplate(), { flag: "wx" });
  } catch (error) {
    throw new CliError(
      `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  ctx.io.out(`Wrote ${file}`);
  ctx.io.out(
    "Every line is commented out: uncomment what you want to change. Secrets go in the environment or .env.",
  );
}
