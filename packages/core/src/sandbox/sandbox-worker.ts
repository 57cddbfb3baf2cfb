/**
 * The main-thread side of one sandbox worker thread: starts it, sends it one request at a time
 * (the rest wait in a queue), relays the host calls of the running block, enforces the block's
 * wall-time limit, and replaces nothing: a worker that dies or hangs is terminated and reported
 * to its owner, who decides what the session is told.
 */
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { SandboxError } from "../errors.ts";
import { formatBytes } from "../format-bytes.ts";
import { workerExecArgv } from "./exec-argv.ts";
import { errorReply, invokeHost } from "./host-call.ts";
import { MemoryBudget, type MemoryBudgetShare } from "./memory-budget.ts";
import {
  CTRL_HELD_PAGES,
  CTRL_MAIL,
  CTRL_POSTED,
  CTRL_SLOTS,
  CTRL_STOP_ID,
  CTRL_STOP_REASON,
  type HostFunctionName,
  type HostReplyEnvelope,
  type ResolvedLimits,
  STOP_ABORT,
  STOP_WALL_TIME,
  type StopReason,
  type WorkerMessage,
  type WorkerRequest,
} from "./protocol.ts";
import type { SandboxHost } from "./types.ts";

/** What the worker thread is started with (its `workerData`). */
export interface WorkerStartData {
  ctrl: SharedArrayBuffer;
  requestPort: MessagePort;
  replyPort: MessagePort;
  /** Heap limit of the QuickJS instance the worker prepares in advance. */
  defaultMemoryBytes: number;
  /** A disposed session whose memory grew past this leaves its worker to be terminated, not reused. */
  recycleBelowBytes: number;
  /** The memory budget shared by all sessions (see memory-budget.ts). */
  memoryBudget: MemoryBudgetShare;
}

/** The session a worker serves: where its host calls go and under which limits. */
export interface WorkerTenant {
  host: SandboxHost;
  limits: ResolvedLimits;
  /** Told when the worker went away unexpectedly; `duringRun`: a block was running and learns it from its own result. */
  session: { lost(exit: WorkerExit, duringRun: boolean): void };
}

/** Why a worker went away, for its owner. */
export interface WorkerExit {
  /** Terminated on purpose (pool closing, recycling): nothing to report. */
  expected: boolean;
  /** It stopped answering and was terminated. */
  hung: boolean;
  /** The error or exit code, readable. */
  cause: string;
}

/** The worker serving a request died; `message` is what the model should be told. */
export class WorkerDiedError extends SandboxError {}

/**
 * Extra time a request gets beyond its execution timeout before the worker is considered hung
 * and is terminated. The interrupt handler normally stops a block right at its timeout; native
 * work that ignores interrupts (a huge `JSON.stringify`) is what this catches.
 */
export const WATCHDOG_GRACE_MS = 2_000;
/** Watchdog budget of requests other than `run` (creating the session, reading a variable). */
const HOUSEKEEPING_BUDGET_MS = 10_000;
/**
 * Worker thread stack. WebAssembly frames live on it too, so it is well above QuickJS's own
 * 1 MiB limit, which therefore always applies first.
 */
const WORKER_STACK_MB = 8;
const MAX_REQUEST_ID = 0x7fff_ffff;

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;

interface PendingRequest {
  request: WorkerRequest;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Set once the block was asked to stop; later host calls are refused at once. */
  stopped: StopReason | undefined;
  /** Fires when the block is stopped: cancels the host work started for it. */
  hostAbort: AbortController;
  hostCallSeq: number;
  hostCallOpen: boolean;
  wallTimer: NodeJS.Timeout | undefined;
  /** Watchdog budget left (ms); spent only while the worker is executing (not in a host call). */
  remainingMs: number;
  /** Wall-time limit (ms) of a `run`, from when the worker starts it. */
  wallMs: number | undefined;
}

let lastRequestId = 0;
function nextRequestId(): number {
  lastRequestId = lastRequestId >= MAX_REQUEST_ID ? 1 : lastRequestId + 1;
  return lastRequestId;
}

export class SandboxWorker {
  /** The session this worker serves, if any. */
  tenant: WorkerTenant | undefined;
  dead = false;
  /** Resolves when the worker can take requests; rejects if it died first. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly memoryBudget: MemoryBudget;
  private readonly requestPort: MessagePort;
  private readonly replyPort: MessagePort;
  private readonly queue: PendingRequest[] = [];
  private current: PendingRequest | undefined;
  private isReady = false;
  private expectedExit = false;
  private hung = false;
  private crashMessage: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogSince = 0;
  /** `hostCall` and `done` messages read from the worker (compared with its CTRL_POSTED count). */
  private received = 0;
  private readonly onExitCallback: (worker: SandboxWorker, exit: WorkerExit) => void;
  private readonly onStderr: (text: string) => void;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;

  constructor(options: {
    defaultMemoryBytes: number;
    recycleBelowBytes: number;
    memoryBudget: MemoryBudgetShare;
    onExit: (worker: SandboxWorker, exit: WorkerExit) => void;
    onStderr: (text: string) => void;
  }) {
    this.onExitCallback = options.onExit;
    this.onStderr = options.onStderr;
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
    const shared = new SharedArrayBuffer(CTRL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.ctrl = new Int32Array(shared);
    const requests = new MessageChannel();
    const replies = new MessageChannel();
    this.requestPort = requests.port1;
    this.replyPort = replies.port1;
    const data: WorkerStartData = {
      ctrl: shared,
      requestPort: requests.port2,
      replyPort: replies.port2,
      defaultMemoryBytes: options.defaultMemoryBytes,
      recycleBelowBytes: options.recycleBelowBytes,
      memoryBudget: options.memoryBudget,
    };
    this.memoryBudget = new MemoryBudget(options.memoryBudget);
    this.worker = new Worker(WORKER_URL, {
      workerData: data,
      transferList: [requests.port2, replies.port2],
      // Inherit the parent's flags (loaders, conditions) except those a worker rejects.
      execArgv: workerExecArgv(),
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
      name: "deeprecall-sandbox",
      stdout: false,
      stderr: false,
    });
    this.worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    this.worker.on("error", (error) => {
      this.crashMessage = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    });
    this.worker.on("exit", (code) => this.onExit(code));
    // Referenced while it starts (someone may be waiting for it); pump() unrefs it once idle.
  }

  /** Requests queued or in progress. */
  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  /**
   * Sends one request; resolves with the worker's answer. A `signal` (run only) stops the block.
   * `wallMs` (run only) is the block's wall-time limit when less than its session's
   * `wallTimeoutMs` is left (the session waited for this worker).
   * @throws WorkerDiedError if the worker dies or hangs first; SandboxError for a request the
   *   worker refused (its message).
   */
  request(body: RequestBody, signal?: AbortSignal, wallMs?: number): Promise<unknown> {
    if (this.dead) return Promise.reject(new WorkerDiedError("SandboxError: the sandbox worker is gone"));
    return new Promise((resolve, reject) => {
      const request = { ...body, id: nextRequestId() } as WorkerRequest;
      const op: PendingRequest = {
        request,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        stopped: undefined,
        hostAbort: new AbortController(),
        hostCallSeq: 0,
        hostCallOpen: false,
        wallTimer: undefined,
        remainingMs: this.watchdogBudget(request),
        wallMs,
      };
      if (signal !== undefined) {
        op.onAbort = () => this.stop(op, "abort");
        signal.addEventListener("abort", op.onAbort, { once: true });
      }
      this.queue.push(op);
      this.worker.ref();
      this.pump();
    });
  }

  /** Terminates the thread. `expected`: on purpose, so its exit is not reported as a crash. */
  async terminate(expected = true): Promise<void> {
    if (expected) this.expectedExit = true;
    if (!this.dead) await this.worker.terminate();
  }

  private watchdogBudget(request: WorkerRequest): number {
    const limits = this.tenant?.limits;
    if (request.type === "run" && limits !== undefined) return limits.timeoutMs + WATCHDOG_GRACE_MS;
    if (request.type === "create" || limits === undefined) return HOUSEKEEPING_BUDGET_MS;
    // getVar and friends run guest code for at most min(timeoutMs, 2 s).
    return Math.min(limits.timeoutMs, 2_000) + WATCHDOG_GRACE_MS;
  }

  private pump(): void {
    if (this.dead || !this.isReady || this.current !== undefined) return;
    const op = this.queue.shift();
    if (op === undefined) {
      this.worker.unref();
      return;
    }
    if (op.signal?.aborted && op.request.type === "run") {
      op.resolve({ output: "", error: "AbortError: the block was aborted" });
      this.finish(op);
      this.pump();
      return;
    }
    this.current = op;
    Atomics.store(this.ctrl, CTRL_STOP_ID, 0);
    const wallTimeoutMs = op.wallMs ?? this.tenant?.limits.wallTimeoutMs;
    if (op.request.type === "run" && wallTimeoutMs !== undefined) {
      op.wallTimer = setTimeout(() => this.stop(op, "wall-time"), wallTimeoutMs);
      op.wallTimer.unref();
    }
    this.requestPort.postMessage(op.request);
    this.notify();
    this.refreshWatchdog();
  }

  private notify(): void {
    Atomics.add(this.ctrl, CTRL_MAIL, 1);
    Atomics.notify(this.ctrl, CTRL_MAIL);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === "hostCall" || message.type === "done") this.received += 1;
    switch (message.type) {
      case "ready":
        this.isReady = true;
        this.resolveReady();
        this.pump();
        return;
      case "stderr":
        this.onStderr(message.text);
        return;
      case "hostCall":
        this.onHostCall(message.id, message.fn, message.argsJson);
        return;
      case "done": {
        const op = this.current;
        if (op === undefined || op.request.id !== message.id) return;
        this.current = undefined;
        this.finish(op);
        if (message.error !== undefined) op.reject(new SandboxError(message.error));
        else op.resolve(message.value);
        this.refreshWatchdog();
        this.pump();
        return;
      }
    }
  }

  private onHostCall(id: number, fn: HostFunctionName, argsJson: string): void {
    const op = this.current;
    const tenant = this.tenant;
    if (op === undefined || op.request.id !== id || tenant === undefined) return;
    op.hostCallSeq += 1;
    const seq = op.hostCallSeq;
    if (op.stopped !== undefined) {
      // The block was told to stop but called the host again: refuse without calling it.
      this.reply(op, stopReply(op.stopped, tenant.limits));
      return;
    }
    op.hostCallOpen = true;
    this.refreshWatchdog();
    void invokeHost(tenant.host, fn, argsJson, tenant.limits, op.hostAbort.signal).then((replyJson) => {
      if (this.current !== op || op.hostCallSeq !== seq || !op.hostCallOpen) return;
      this.reply(op, replyJson);
    });
  }

  private reply(op: PendingRequest, replyJson: string): void {
    op.hostCallOpen = false;
    const envelope: HostReplyEnvelope = { id: op.request.id, replyJson };
    this.replyPort.postMessage(envelope);
    this.notify();
    this.refreshWatchdog();
  }

  /**
   * Asks the worker to stop the request: its interrupt handler sees the flag, the host call in
   * flight (if any) is answered with the stop's error and its work cancelled, and from now on
   * the worker has only the watchdog's grace period left to answer.
   */
  private stop(op: PendingRequest, reason: StopReason): void {
    // A request still queued is answered by pump() without running it.
    if (op.stopped !== undefined || this.dead || op !== this.current) return;
    op.stopped = reason;
    Atomics.store(this.ctrl, CTRL_STOP_REASON, reason === "abort" ? STOP_ABORT : STOP_WALL_TIME);
    Atomics.store(this.ctrl, CTRL_STOP_ID, op.request.id);
    const limits = this.tenant?.limits;
    op.hostAbort.abort(
      new SandboxError(
        reason === "abort" ? "the block was aborted" : "the block exceeded its wall-time limit",
      ),
    );
    this.pauseWatchdog();
    op.remainingMs = Math.min(op.remainingMs, WATCHDOG_GRACE_MS);
    if (op.hostCallOpen && limits !== undefined) this.reply(op, stopReply(reason, limits));
    else this.refreshWatchdog();
  }

  private finish(op: PendingRequest): void {
    if (op.wallTimer !== undefined) clearTimeout(op.wallTimer);
    op.wallTimer = undefined;
    if (op.onAbort !== undefined) op.signal?.removeEventListener("abort", op.onAbort);
    op.onAbort = undefined;
  }

  // --- watchdog: terminates a worker that stops answering ------------------------------------

  private pauseWatchdog(): void {
    if (this.watchdog === undefined) return;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.current !== undefined) this.current.remainingMs -= performance.now() - this.watchdogSince;
  }

  /** Runs the watchdog for the request in progress, unless it waits on the host. */
  private refreshWatchdog(): void {
    this.pauseWatchdog();
    const op = this.current;
    if (this.dead || op === undefined || op.hostCallOpen) return;
    this.watchdogSince = performance.now();
    this.watchdog = setTimeout(() => this.onHang(), Math.max(1, op.remainingMs));
    this.watchdog.unref();
  }

  private onHang(): void {
    if (this.dead) return;
    this.watchdog = undefined;
    if (Atomics.load(this.ctrl, CTRL_POSTED) !== this.received && this.current !== undefined) {
      // The worker has answered (or asked the host) and the message waits for this thread,
      // which is busy: it is not hung. Look again after a grace period.
      this.current.remainingMs = WATCHDOG_GRACE_MS;
      this.refreshWatchdog();
      return;
    }
    this.hung = true;
    void this.worker.terminate();
  }

  private onExit(code: number): void {
    this.dead = true;
    // Whatever its instances still held from the shared budget (a terminated worker cannot give
    // it back itself) is free again: the thread's memory went with it.
    this.memoryBudget.give(Atomics.exchange(this.ctrl, CTRL_HELD_PAGES, 0));
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.requestPort.close();
    this.replyPort.close();
    const cause = this.hung
      ? "the sandbox worker stopped responding and was terminated"
      : `the sandbox worker crashed${this.crashMessage ? ` (${this.crashMessage})` : ` (exit code ${code})`}`;
    this.rejectReady(new WorkerDiedError(`SandboxError: ${cause}`));
    const ops = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    const running = this.current;
    this.current = undefined;
    for (const op of ops) {
      this.finish(op);
      op.hostAbort.abort(new SandboxError(cause));
      let message = `SandboxError: ${cause}; variables from earlier blocks are lost.`;
      if (this.expectedExit) message = "SandboxError: the sandbox was closed";
      else if (op === running && op.request.type === "run") {
        message = this.hung
          ? `${hungBlockStop(op.stopped, this.tenant?.limits)} and did not respond to interruption (native work that cannot be interrupted, or a heap so full that every allocation fails), so its sandbox was terminated; variables from earlier blocks are lost.`
          : isMemoryCrash(this.crashMessage)
            ? `MemoryError: block ran out of memory (limit ${formatBytes(this.tenant?.limits.memoryBytes ?? 0)}) and its sandbox crashed (${this.crashMessage}); variables from earlier blocks are lost.`
            : `SandboxError: ${cause} while running this block; variables from earlier blocks are lost.`;
      }
      op.reject(new WorkerDiedError(message));
    }
    const exit: WorkerExit = { expected: this.expectedExit, hung: this.hung, cause };
    if (!exit.expected) this.tenant?.session.lost(exit, running?.request.type === "run");
    this.onExitCallback(this, exit);
  }
}

/**
 * Whether a worker's crash was its WebAssembly memory giving out: QuickJS indexing past a memory
 * that could not grow traps with V8's "memory access out of bounds" (a `RuntimeError`), and a
 * refused grow can surface as a `RangeError` naming WebAssembly memory.
 */
function isMemoryCrash(message: string | undefined): boolean {
  return (
    message !== undefined && /memory access out of bounds|WebAssembly\.Memory|out of memory/i.test(message)
  );
}

/** The error a stopped block's host call gets. */
function stopReply(reason: StopReason, limits: ResolvedLimits): string {
  if (reason === "abort")
    return errorReply(Object.assign(new Error("the block was aborted"), { name: "AbortError" }));
  return errorReply(
    Object.assign(new Error(`the block exceeded its wall-time limit of ${limits.wallTimeoutMs} ms`), {
      name: "TimeoutError",
    }),
  );
}

/**
 * Why a block that never answered was being stopped, for the model: an abort (the query's own
 * signal or its time budget), its wall-time limit, or else its execution time limit.
 */
function hungBlockStop(stopped: StopReason | undefined, limits: ResolvedLimits | undefined): string {
  if (stopped === "abort")
    return "AbortError: the block was aborted (the query was stopped or its time budget ran out)";
  if (stopped !== undefined) {
    return `TimeoutError: block exceeded its wall-time limit of ${limits?.wallTimeoutMs ?? "its"} ms`;
  }
  return `TimeoutError: block exceeded ${limits?.timeoutMs ?? "its"} ms`;
}
