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

export interface SandboxLimits {
  /** Wall time a block may spend executing inside QuickJS (host-call waits excluded). Default 10 000. */
  timeoutMs?: number;
  /** Heap limit of the QuickJS runtime in bytes. Default 64 MiB. */
  memoryBytes?: number;
  /** Max characters of printed output kept per block. Default 20 000. */
  maxOutputChars?: number;
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
  /** Number of worker threads. Default: min(4, available parallelism). */
  workers?: number;
}

export interface SandboxPool {
  createSession(
    host: SandboxHost,
    options?: { context?: unknown; limits?: SandboxLimits },
  ): Promise<SandboxSession>;
  close(): Promise<void>;
}
