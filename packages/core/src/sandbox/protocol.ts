/**
 * Messages between the pool (main thread) and a sandbox worker. Internal: not exported from the
 * package.
 *
 * The worker is fully synchronous: it blocks in `Atomics.wait` on `ctrl[CTRL_MAIL]` and pulls
 * requests and host-call replies from two MessagePorts with `receiveMessageOnPort`. The main
 * thread posts on a port, then bumps and notifies `CTRL_MAIL`.
 *
 * Host calls (searchDb, llmQuery, ...) must look synchronous inside QuickJS, so the worker posts
 * a `hostCall` message and waits for the reply. While it waits, it also serves requests for
 * other sessions ("nested" requests): a child query's sandbox may live on the same worker as the
 * parent block that is waiting for it, and this is what keeps them from deadlocking. The pool
 * only nests while the block on top is waiting on a host call, and never two requests of one
 * session, so the worker and the pool always agree on the stack of requests in progress.
 */

import type { MessagePort } from "node:worker_threads";

/** Int32 slot: sequence number bumped on every post to the worker. */
export const CTRL_MAIL = 0;
/** Int32 slots CTRL_ABORT_BASE + depth: id of the request at that depth to interrupt (abort). */
export const CTRL_ABORT_BASE = 1;
/**
 * Most requests in progress on one worker at once (1 + nested). QuickJS's stack limit is
 * absolute from where a runtime was set up, so every nesting level may add 1 MiB of C stack; the
 * WebAssembly build has about 5 MiB.
 */
export const MAX_NESTING = 4;
export const CTRL_SLOTS = CTRL_ABORT_BASE + MAX_NESTING;

export type HostFunctionName = "searchDb" | "llmQuery" | "llmQueryBatched";

export interface ResolvedLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxOutputChars: number;
}

/** Fields of every request: `depth` is its position in the worker's stack (for aborts). */
interface RequestBase {
  id: number;
  sessionId: number;
  depth: number;
}

export type WorkerRequest = RequestBase &
  (
    | { type: "create"; contextJson: string | undefined; limits: ResolvedLimits }
    /** `debug` is a test hook (set by pool code only, never by model code): crash or hang the worker. */
    | { type: "run"; code: string; debug?: "crash" | "hang" }
    | { type: "getVar"; name: string }
    | { type: "setVar"; name: string; json: string }
    | { type: "listVars" }
    | { type: "dispose" }
  );

export type WorkerMessage =
  | { type: "ready" }
  | { type: "done"; id: number; value?: unknown; error?: string }
  | { type: "hostCall"; id: number; fn: HostFunctionName; argsJson: string };

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
