import type { MetadataFilter, SearchResult } from "../types.ts";

/**
 * What the engine gives a sandbox session: the functions model code may call. They run on the
 * host (main thread) and look synchronous inside the sandbox.
 */
export interface SandboxHost {
  searchDb(
    query: string,
    topK: number | undefined,
    filters: MetadataFilter | undefined,
    options?: HostCallOptions,
  ): Promise<SearchResult[]>;
  llmQuery(prompt: string, options?: HostCallOptions): Promise<string>;
  llmQueryBatched(prompts: string[], options?: HostCallOptions): Promise<string[]>;
}

/**
 * What the pool passes to every host call. `signal` fires when the calling block is stopped
 * (aborted, or past its wall-time limit): the host should cancel the work it started for it.
 */
export interface HostCallOptions {
  signal: AbortSignal;
}

/**
 * Per-session limits. Each applies to every block (or host call) of the session; a violation
 * becomes the block's `error` (what the model reads), never an exception.
 */
export interface SandboxLimits {
  /**
   * Time (ms) a block may spend executing inside QuickJS; waits for host calls do not count.
   * Default 10 000. Interrupt → `TimeoutError`, `limit: "timeout"`.
   */
  timeoutMs?: number;
  /**
   * Wall time (ms) a block may take, host-call waits included, so a loop of slow `llmQuery`
   * calls cannot run for ever. The host call in flight is cancelled through its signal.
   * Default 120 000. → `TimeoutError`, `limit: "timeout"`.
   */
  wallTimeoutMs?: number;
  /**
   * Memory (bytes) of the session's QuickJS heap. Every session has its own WebAssembly
   * instance whose memory cannot grow past this plus a fixed 20 MiB of runtime overhead, and is
   * given back when the session ends. Default 64 MiB. → `MemoryError`, `limit: "memory"`.
   */
  memoryBytes?: number;
  /** Characters of printed output kept per block; more is dropped with a marker. Default 20 000. */
  maxOutputChars?: number;
  /** Longest `searchDb` query (characters). Default 4 000. Longer → `RangeError` in the block. */
  maxQueryChars?: number;
  /** Longest `searchDb` filter, as JSON (characters). Default 10 000. Longer → `RangeError`. */
  maxFilterChars?: number;
  /** Longest `llmQuery` / `llmQueryBatched` prompt (characters). Default 100 000. → `RangeError`. */
  maxPromptChars?: number;
  /** Most prompts in one `llmQueryBatched` call. Default 256. → `RangeError`. */
  maxBatchSize?: number;
  /**
   * Most characters of all the prompts of one `llmQueryBatched` call together. Default 1 000 000
   * (what each copy of a call's arguments can take on its way out, whatever `maxBatchSize` ×
   * `maxPromptChars` allows). → `RangeError`; nothing goes out.
   */
  maxBatchChars?: number;
  /** Longest `FINAL(x)` answer (characters). Default 100 000. → `RangeError`, the block goes on. */
  maxFinalChars?: number;
}

export interface BlockResult {
  /** Everything printed (print/console.log), truncated to `maxOutputChars` with a marker. */
  output: string;
  /** Readable error (thrown error, syntax error, limit hit) — shown to the model. */
  error?: string;
  /** Set when the code called FINAL(x); the value stringified. */
  final?: string;
  /** Which limit was hit, if any. */
  limit?: "timeout" | "memory" | "output";
  durationMs: number;
}

export interface SandboxSession {
  /** Run one block. Never throws for model-code faults: those come back in `error`. */
  run(code: string, options?: { signal?: AbortSignal }): Promise<BlockResult>;
  /** A top-level variable rendered as a string (strings as-is, others JSON), or undefined. */
  getVar(name: string): Promise<string | undefined>;
  /** Set a top-level variable to a JSON-serialisable value. */
  setVar(name: string, value: unknown): Promise<void>;
  /** Names of user-defined top-level variables. */
  listVars(): Promise<string[]>;
  dispose(): Promise<void>;
}

export interface SandboxOptions extends SandboxLimits {
  /**
   * Idle worker threads kept started and ready, so a new session does not wait ~40 ms for a
   * thread. Each live session has a worker of its own; this only sets how many are kept warm
   * (never more than `maxWorkers` allows). Default: min(4, available parallelism).
   */
  workers?: number;
  /**
   * Most sandbox worker threads alive at once (busy, idle or exiting), a count. Every session
   * holds a worker of its own from its first block until it is disposed, and each worker costs
   * ~24 MiB of process memory that no heap limit counts (its V8 isolate, its QuickJS instance's
   * fixed part), so this is what bounds the memory of many concurrent queries: at most about
   * `maxWorkers` × 24 MiB + `totalMemoryBytes`. A session beyond it waits, first come first
   * served, for a worker to come free (another session disposed); the wait counts against its
   * block's `wallTimeoutMs` and ends with the block's `signal`. A block that waited its whole
   * wall time is not run and the model is told so (`TimeoutError: the block was not run ...`).
   * A child query's sandbox (`llmQuery` with `maxDepth > 1`) needs a worker too while its parent
   * holds one. Pools that leave it out share one process-wide cap of 8; a pool that sets it gets
   * a cap of its own.
   */
  maxWorkers?: number;
  /**
   * Called when a worker crashed, stopped responding, or QuickJS reported an internal failure
   * (an assertion, a runtime freed with live objects). These are bugs or attacks worth a log
   * line; the affected session is told in its next block result. Default: `process.emitWarning`
   * with code `DEEPRECALL_SANDBOX`.
   */
  onWorkerError?: (report: SandboxWorkerReport) => void;
  /**
   * Most memory (bytes) all sessions' QuickJS instances may take together once they grow:
   * an instance that grows past the 16 MiB it starts with counts in full (those 16 MiB and its
   * growth) until its memory is really freed (when a worker that is not reused has exited).
   * Instances that never grow are part of their worker's fixed cost, which `maxWorkers` bounds.
   * `memoryBytes` caps one session; this caps them all, so many concurrent memory bombs cannot
   * add up to gigabytes. A block whose allocation would exceed it gets a `MemoryError` saying
   * the shared memory is in use. Pools that leave it out share one process-wide budget of
   * 192 MiB; a pool that sets it gets a budget of its own.
   */
  totalMemoryBytes?: number;
}

/** One worker failure, as given to `SandboxOptions.onWorkerError`. */
export interface SandboxWorkerReport {
  /** What happened: the worker process died, hung past its timeout, or QuickJS failed inside. */
  kind: "crash" | "hang" | "quickjs";
  message: string;
}

/** Counters of a pool since it was created (for tests, metrics and benchmarks). */
export interface SandboxPoolStats {
  /** Worker threads started. */
  workersStarted: number;
  /** Worker threads alive now (busy or idle). */
  workersAlive: number;
  /** Idle workers ready for a new session. */
  workersIdle: number;
  /** Sessions alive now (created and not yet disposed). */
  sessions: number;
  /** This pool's sessions waiting for a worker now, because `maxWorkers` workers are alive. */
  sessionsWaiting: number;
  /** The cap on workers alive at once (`maxWorkers`, shared by every pool that shares it). */
  maxWorkers: number;
  /**
   * Bytes of the shared memory budget (`totalMemoryBytes`) granted now, to this pool's sessions
   * and to those of every pool sharing the budget.
   */
  memoryGrantedBytes: number;
  /** Reports sent to `onWorkerError`, by kind. */
  crashes: number;
  hangs: number;
  quickjsFailures: number;
}

/** Where a sandbox session sits in an investigation with nested `llmQuery` loops. */
export interface SessionNesting {
  /** 1 for a query's own loop, 2 for a child investigation of its blocks, and so on. */
  depth: number;
  /** The engine's `maxDepth`: the deepest level whose loops run code. */
  maxDepth: number;
}

export interface SandboxPool {
  /**
   * A session over `host`. `nesting` says where it sits in an investigation (default: a
   * top-level session that waits on no nested one): an engine with `maxDepth` > 1 runs a child
   * investigation for a block's `llmQuery`, whose blocks need workers of their own while this
   * one waits. A session gets a worker only while enough stay free for the levels below it, and
   * children are served before new top-level sessions, so parents can never hold every worker
   * their children need (which would leave both waiting until their wall time runs out).
   * @throws ConfigError for a host without the three functions, bad limits, or a `nesting` that
   *   is not integers 1 <= depth <= maxDepth.
   */
  createSession(
    host: SandboxHost,
    options?: { context?: unknown; limits?: SandboxLimits; nesting?: SessionNesting },
  ): Promise<SandboxSession>;
  /** Counters since the pool was created. */
  stats(): SandboxPoolStats;
  close(): Promise<void>;
}
