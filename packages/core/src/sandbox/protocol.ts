/**
 * Messages between the pool (main thread) and a sandbox worker. Internal: not exported from the
 * package.
 *
 * Host calls (searchDb, llmQuery, ...) must look synchronous inside QuickJS, so the worker posts a
 * `hostCall` message and then blocks in `Atomics.wait` on `ctrl[CTRL_REPLY]`. The main thread runs
 * the async host function, posts the JSON reply on a dedicated MessagePort and flips the flag;
 * the worker wakes and reads the reply with `receiveMessageOnPort`.
 */

import type { MessagePort } from "node:worker_threads";

/** Int32 slot: 0 while the worker waits for a host reply, 1 once the reply was posted. */
export const CTRL_REPLY = 0;
/** Int32 slot: id of the request the main thread wants interrupted (abort). */
export const CTRL_ABORT = 1;
export const CTRL_SLOTS = 2;

export type HostFunctionName = "searchDb" | "llmQuery" | "llmQueryBatched";

export interface ResolvedLimits {
  timeoutMs: number;
  memoryBytes: number;
  maxOutputChars: number;
}

export type WorkerRequest =
  | { type: "create"; id: number; sessionId: number; contextJson: string | undefined; limits: ResolvedLimits }
  /** `debug` is a test hook (set by pool code only, never by model code): crash or hang the worker. */
  | { type: "run"; id: number; sessionId: number; code: string; debug?: "crash" | "hang" }
  | { type: "getVar"; id: number; sessionId: number; name: string }
  | { type: "setVar"; id: number; sessionId: number; name: string; json: string }
  | { type: "listVars"; id: number; sessionId: number }
  | { type: "dispose"; id: number; sessionId: number };

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
  replyPort: MessagePort;
}

/** JSON reply to a host call, as sent over the reply port. */
export type HostReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };
