/**
 * Messages between the pool (main thread) and a sandbox worker. Internal: not exported from the
 * package.
 *
 * A worker hosts at most one session at a time, so one query's runaway block can only ever cost
 * that query its variables: the pool kills the worker, and nobody else lived on it.
 *
 * The worker is fully synchronous while it runs a block: host calls (searchDb, llmQuery, ...)
 * must look synchronous inside QuickJS, so the worker posts a `hostCall` message and blocks in
 * `Atomics.wait` on `ctrl[CTRL_MAIL]` until the reply arrives on the reply port
 * (`receiveMessageOnPort`). The main thread posts on a port, then bumps and notifies
 * `CTRL_MAIL`. Between requests the worker waits the same way for the next request.
 */

import type { MessagePort } from "node:worker_threads";

/** Int32 slot: sequence number bumped on every post to the worker. */
export const CTRL_MAIL = 0;
/** Int32 slot: id of the request the pool wants stopped (0: none). */
export const CTRL_STOP_ID = 1;
/** Int32 slot: why it wants it stopped (a `StopReason` code). */
export const CTRL_STOP_REASON = 2;
/**
 * Int32 slot: how many `hostCall` and `done` messages the worker has posted. The pool compares it
 * with how many it has read: a watchdog that fires while the worker's answer sits unread (the
 * main thread is busy) is the main thread being late, not the worker being hung.
 */
export const CTRL_POSTED = 3;
/**
 * Int32 slot: WebAssembly pages this worker's instances hold from the shared memory budget. The
 * worker keeps it; the pool gives them back if the worker dies without doing so.
 */
export const CTRL_HELD_PAGES = 4;
export const CTRL_SLOTS = 5;

/** Codes stored in `CTRL_STOP_REASON`. */
export const STOP_ABORT = 1;
export const STOP_WALL_TIME = 2;
export type StopReason = "abort" | "wall-time";

export type HostFunctionName = "searchDb" | "llmQuery" | "llmQueryBatched";

/** The limits of one session, every field resolved. See `SandboxLimits` for their meaning. */
export interface ResolvedLimits {
  timeoutMs: number;
  wallTimeoutMs: number;
  memoryBytes: number;
  maxOutputChars: number;
  maxQueryChars: number;
  maxFilterChars: number;
  maxPromptChars: number;
  maxBatchSize: number;
  maxBatchChars: number;
  maxFinalChars: number;
}

export type WorkerRequest = { id: number } & (
  | { type: "create"; contextJson: string | undefined; limits: ResolvedLimits }
  /** `debug` is a test hook (set by pool code only, never by model code): crash or hang the worker. */
  | { type: "run"; code: string; debug?: "crash" | "hang" }
  | { type: "getVar"; name: string }
  | { type: "setVar"; name: string; json: string }
  | { type: "listVars" }
  | { type: "dispose" }
);

/** What the worker reports when a session is disposed: whether it is fit to host another. */
export interface DisposeReport {
  /** Bytes of WebAssembly memory the session's QuickJS instance had grown to. */
  wasmBytes: number;
  /** Set when freeing the QuickJS runtime failed (a leaked handle, an assertion): a bug. */
  problem?: string;
  /** Set when the runtime was deliberately not freed (see SandboxVm.dispose): do not reuse the worker. */
  dirty?: boolean;
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "done"; id: number; value?: unknown; error?: string; fatal?: boolean }
  | { type: "hostCall"; id: number; fn: HostFunctionName; argsJson: string }
  /** Something QuickJS's WebAssembly build printed to stderr (an assertion, an abort). */
  | { type: "stderr"; text: string };

/** What the worker reports for one block; the pool adds `durationMs`. */
export interface RunOutcome {
  output: string;
  error?: string;
  final?: string;
  limit?: "timeout" | "memory" | "output";
}

export interface WorkerInit {
  ctrl: SharedArrayBuffer;
  requestPort: MessagePort;
  replyPort: MessagePort;
}

/** What travels on the reply port: the reply to the host call of request `id`. */
export interface HostReplyEnvelope {
  id: number;
  replyJson: string;
}

/** JSON reply to a host call. */
export type HostReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };
