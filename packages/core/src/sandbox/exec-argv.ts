/**
 * Flags that Node rejects for worker threads (ERR_WORKER_INVALID_EXEC_ARGV) or that make no
 * sense there; everything else (loaders, conditions, type stripping) is inherited.
 */
const WORKER_REJECTED_FLAGS =
  /^--(input-type|expose[-_]gc|inspect|inspect-brk|inspect-port|inspect-wait|debug-port|title|prof|cpu-prof|heap-prof|redirect-warnings|trace-event|diagnostic-dir|report)/;

/** Rejected flags that take their value as the next argument ("--title name"). */
const FLAGS_WITH_SEPARATE_VALUE = /^--(title|inspect-port|debug-port|redirect-warnings|diagnostic-dir)$/;

/** The parent's `execArgv` minus the flags a worker thread would refuse to start with. */
export function workerExecArgv(args: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (WORKER_REJECTED_FLAGS.test(arg)) {
      const next = args[i + 1];
      if (
        !arg.includes("=") &&
        next !== undefined &&
        !next.startsWith("-") &&
        FLAGS_WITH_SEPARATE_VALUE.test(arg)
      )
        i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
