import { oneLine } from "./output.ts";

/** A process warning as Node prints it: "(node:123) Warning: …", "(node:123) [CODE] DeprecationWarning: …". */
const NODE_WARNING = /^\(node:\d+\) (\[[\w-]+\] )?\w*Warning\b/;

/** A stack frame line as V8 prints it ("    at fn (file:1:2)"). */
const STACK_LINE = /^\s+at\s/;

/**
 * One line for whatever a library hands to `console.error`/`console.warn`: an Error (or an
 * object with a message) becomes its message; text loses its stack-frame lines and is folded
 * onto one line. Returns the text to print.
 */
export function withoutStack(args: unknown[]): string {
  return args
    .map((arg) => {
      if (arg instanceof Error) return oneLine(arg);
      if (typeof arg === "string")
        return arg
          .split("\n")
          .filter((line) => !STACK_LINE.test(line))
          .join(" ")
          .replace(/\s+/g, " ")
          .trim();
      if (arg && typeof arg === "object" && "message" in arg) return oneLine(new Error(String(arg.message)));
      return String(arg);
    })
    .filter((s) => s.length > 0)
    .join(" ");
}

/** Distinct warnings remembered (to print each once); past this, new ones print every time. */
const MAX_DISTINCT_WARNINGS = 1000;

export interface QuietErrorsOptions {
  /** Where the one-line messages go. */
  write: (line: string) => void;
  /** Called after an uncaught error or unhandled rejection has been reported (the CLI exits with 1). */
  exit?: (code: number) => void;
}

/**
 * Without `--debug`, no stack trace reaches the terminal from anywhere in the CLI: libraries that
 * log errors themselves (the AI SDK's stream `onError` default prints the raw error with its
 * stack) go through `console.error`/`console.warn`, which are replaced by one-line printers (each
 * distinct warning printed once), and an uncaught error or unhandled rejection prints
 * `error: <message>` and exits 1.
 * Returns a function that restores the previous behaviour.
 */
export function installQuietErrors(options: QuietErrorsOptions): () => void {
  const { write } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const original = { error: console.error, warn: console.warn };
  // A warning is printed once: a server repeats the same one on every request (e.g. the AI SDK's
  // "responseFormat is not supported" for each structured-output call to a compatible backend).
  const warned = new Set<string>();
  const warnOnce = (line: string) => {
    if (warned.has(line)) return;
    if (warned.size < MAX_DISTINCT_WARNINGS) warned.add(line);
    write(line);
  };
  console.error = (...args: unknown[]) => {
    const text = withoutStack(args);
    if (!text) return;
    // Node prints process warnings ("(node:123) Warning: …", the AI SDK's among them) with
    // console.error: they are warnings, not errors.
    if (NODE_WARNING.test(text)) warnOnce(`warning: ${text}`);
    else write(/^(error|warning)\b/i.test(text) ? text : `error: ${text}`);
  };
  console.warn = (...args: unknown[]) => {
    const text = withoutStack(args);
    if (text) warnOnce(/^(error|warning)\b/i.test(text) ? text : `warning: ${text}`);
  };
  const fatal = (error: unknown) => {
    write(`error: ${oneLine(error)}`);
    exit(1);
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  return () => {
    console.error = original.error;
    console.warn = original.warn;
    process.off("uncaughtException", fatal);
    process.off("unhandledRejection", fatal);
  };
}
