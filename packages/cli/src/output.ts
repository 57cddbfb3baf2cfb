import { ConfigError, truncate as cut, DeepRecallError } from "@deeprecall/core";

/** Exit codes: 0 success, 1 runtime failure (store, model, I/O), 2 bad usage or configuration. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (ConfigError.isInstance(error)) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** One line: the message with whitespace collapsed; the error class only for unexpected errors. */
export function oneLine(error: unknown): string {
  let message: string;
  if (DeepRecallError.isInstance(error) || error instanceof CliError) message = error.message;
  else if (error instanceof Error)
    message = `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`;
  else message = String(error);
  return message.replace(/\s*\n\s*/g, " ").trim();
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  isTTY: Boolean(process.stderr.isTTY),
};

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `text` on one line (whitespace collapsed), at most `max` characters, ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? cut(flat, max - 1, () => "…") : flat;
}

export function indent(text: string, prefix = "    "): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}
