/**
 * The sandbox pool (main thread side): a set of worker threads, each hosting QuickJS sessions.
 * A session is pinned to one worker; a worker serves one request at a time, so requests queue
 * here (not in the worker) and the watchdog knows exactly what is running.
 */

import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { ConfigError, SandboxError } from "../errors.ts";
import type { SearchResult } from "../types.ts";
import {
  CTRL_ABORT_BASE,
  CTRL_MAIL,
  CTRL_SLOTS,
  type HostFunctionName,
  type HostReply,
  type HostReplyEnvelope,
  MAX_NESTING,
  type ResolvedLimits,
  type RunOutcome,
  type WorkerInit,
  type WorkerMessage,
  type WorkerRequest,
} from "./protocol.ts";
import type {
  BlockResult,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxSession,
} from "./types.ts";

export const DEFAULT_LIMITS: Readonly<ResolvedLimits> = Object.freeze({
  timeoutMs: 10_000,
  memoryBytes: 64 * 1024 * 1024,
  maxOutputChars: 20_000,
});

/**
 * Extra time a request gets beyond its timeout before the worker is considered hung and is
 * replaced. The interrupt handler normally stops a block right at its timeout.
 */
const WATCHDOG_GRACE_MS = 2_000;
/**
 * Worker thread stack. WebAssembly frames live on it too, and nested requests (MAX_NESTING) can
 * stack several QuickJS calls, so it is well above QuickJS's own 1 MiB limit per runtime.
 */
const WORKER_STACK_MB = 16;
const MAX_REQUEST_ID = 0x7fff_ffff;

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url);

/** Creates a pool of sandbox worker threads. Workers start lazily, on the first sessions. */
export function createSandboxPool(options: SandboxOptions = {}): SandboxPool {
  return new WorkerSandboxPool(options);
}

type RequestBody = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, "id" | "sessionId" | "depth">
    : never
  : never;

/** The worker serving a request died; `message` is what the model should be told. */
class WorkerDiedError extends SandboxError {}

interface PendingOp {
  request: WorkerRequest;
  session: SessionImpl;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  aborted: boolean;
  hostCallSeq: number;
  hostCallOpen: boolean;
  /** Watchdog budget left (ms); only the request on top of the stack spends it. */
  remainingMs: number;
}

/**
 * One worker thread. Requests in progress form a stack: the bottom one was dispatched to an
 * idle worker; each one above was dispatched while the one below it waited on a host call
 * (see protocol.ts). Everything else waits in `queue`.
 */
class WorkerSlot {
  readonly pool: WorkerSandboxPool;
  readonly sessions = new Set<SessionImpl>();
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly requestPort: MessagePort;
  private readonly replyPort: MessagePort;
  private readonly queue: PendingOp[] = [];
  private readonly stack: PendingOp[] = [];
  private ready = false;
  dead = false;
  private closing = false;
  private hung = false;
  private crashMessage: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private timedOp: PendingOp | undefined;
  private timedSince = 0;

  constructor(pool: WorkerSandboxPool) {
    this.pool = pool;
    const shared = new SharedArrayBuffer(CTRL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.ctrl = new Int32Array(shared);
    const requests = new MessageChannel();
    const replies = new MessageChannel();
    this.requestPort = requests.port1;
    this.replyPort = replies.port1;
    const init: WorkerInit = { ctrl: shared, requestPort: requests.port2, replyPort: replies.port2 };
    this.worker = new Worker(WORKER_URL, {
      workerData: init,
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
    // Idle workers must not keep the process alive; busy ones must (see updateRef).
    this.worker.unref();
  }

  get load(): number {
    return this.sessions.size;
  }

  /** Requests in progress or waiting. */
  get busy(): number {
    return this.stack.length + this.queue.length;
  }

  request(session: SessionImpl, body: RequestBody, signal?: AbortSignal): Promise<unknown> {
    if (this.dead) return Promise.reject(new WorkerDiedError("the sandbox worker is gone"));
    return new Promise<unknown>((resolve, reject) => {
      const request = {
        ...body,
        id: this.pool.nextRequestId(),
        sessionId: session.id,
        depth: 0,
      } as WorkerRequest;
      const op: PendingOp = {
        request,
        session,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        aborted: false,
        hostCallSeq: 0,
        hostCallOpen: false,
        remainingMs: session.limits.timeoutMs + WATCHDOG_GRACE_MS,
      };
      if (signal !== undefined) {
        op.onAbort = () => this.abort(op);
        signal.addEventListener("abort", op.onAbort, { once: true });
      }
      this.queue.push(op);
      this.dispatch();
    });
  }

  private post(port: MessagePort, message: unknown): void {
    port.postMessage(message);
    Atomics.add(this.ctrl, CTRL_MAIL, 1);
    Atomics.notify(this.ctrl, CTRL_MAIL);
  }

  /** Sends queued requests the worker can take now: on an idle worker, or above a host call. */
  private dispatch(): void {
    while (this.ready && !this.dead && this.queue.length > 0) {
      const top = this.stack.at(-1);
      if (top !== undefined && (!top.hostCallOpen || this.stack.length >= MAX_NESTING)) break;
      // Never two requests of one session at once: its QuickJS state is mid-block.
      const index = this.queue.findIndex((op) => !this.stack.some((busy) => busy.session === op.session));
      if (index === -1) break;
      const [op] = this.queue.splice(index, 1) as [PendingOp];
      op.request.depth = this.stack.length;
      this.stack.push(op);
      this.post(this.requestPort, op.request);
    }
    this.refreshWatchdog();
    this.updateRef();
  }

  private detach(op: PendingOp): void {
    if (op.onAbort !== undefined) op.signal?.removeEventListener("abort", op.onAbort);
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === "ready") {
      this.ready = true;
      this.dispatch();
      return;
    }
    const op = this.stack.find((candidate) => candidate.request.id === message.id);
    if (op === undefined) return;
    if (message.type === "hostCall") {
      this.onHostCall(op, message.fn, message.argsJson);
      return;
    }
    // Requests finish in stack order: the worker serves nested ones inside the host call below.
    this.stack.splice(this.stack.indexOf(op), 1);
    this.detach(op);
    if (message.error !== undefined) op.reject(new SandboxError(message.error));
    else op.resolve(message.value);
    this.dispatch();
  }

  private onHostCall(op: PendingOp, fn: HostFunctionName, argsJson: string): void {
    op.hostCallSeq += 1;
    op.hostCallOpen = true;
    const seq = op.hostCallSeq;
    if (op.aborted) {
      this.answerHostCall(op, seq, abortReply());
      return;
    }
    // The worker is free for other sessions while the host works; host time is not block time.
    this.dispatch();
    void invokeHost(op.session.host, fn, argsJson).then((replyJson) =>
      this.answerHostCall(op, seq, replyJson),
    );
  }

  private answerHostCall(op: PendingOp, seq: number, replyJson: string): void {
    if (this.dead || !this.stack.includes(op) || !op.hostCallOpen || op.hostCallSeq !== seq) return;
    op.hostCallOpen = false;
    this.post(this.replyPort, { id: op.request.id, replyJson } satisfies HostReplyEnvelope);
    this.refreshWatchdog();
  }

  private abort(op: PendingOp): void {
    if (op.aborted || this.dead) return;
    op.aborted = true;
    const queued = this.queue.indexOf(op);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      this.detach(op);
      if (op.request.type === "run") op.resolve({ output: "", error: ABORT_MESSAGE } satisfies RunOutcome);
      else op.reject(new SandboxError("aborted"));
      this.updateRef();
      return;
    }
    if (!this.stack.includes(op)) return;
    // The interrupt handler polls this slot; a pending host call is answered at once.
    Atomics.store(this.ctrl, CTRL_ABORT_BASE + op.request.depth, op.request.id);
    this.refreshWatchdog();
    op.remainingMs = Math.min(op.remainingMs, WATCHDOG_GRACE_MS);
    if (op.hostCallOpen) this.answerHostCall(op, op.hostCallSeq, abortReply());
    this.refreshWatchdog();
  }

  // --- watchdog: replaces a worker that stops answering -------------------------------------

  /** Runs the watchdog for the request on top of the stack, unless it waits on the host. */
  private refreshWatchdog(): void {
    if (this.watchdog !== undefined) {
      clearTimeout(this.watchdog);
      this.watchdog = undefined;
      if (this.timedOp !== undefined) this.timedOp.remainingMs -= performance.now() - this.timedSince;
      this.timedOp = undefined;
    }
    const top = this.stack.at(-1);
    if (this.dead || top === undefined || top.hostCallOpen) return;
    this.timedOp = top;
    this.timedSince = performance.now();
    this.watchdog = setTimeout(() => this.onHang(), Math.max(1, top.remainingMs));
    this.watchdog.unref();
  }

  private onHang(): void {
    if (this.dead) return;
    this.hung = true;
    void this.worker.terminate();
  }

  // --- lifecycle ------------------------------------------------------------------------------

  private updateRef(): void {
    if (this.dead) return;
    if (this.stack.length > 0 || this.queue.length > 0) this.worker.ref();
    else this.worker.unref();
  }

  async terminate(): Promise<void> {
    this.closing = true;
    if (!this.dead) await this.worker.terminate();
  }

  private onExit(code: number): void {
    this.dead = true;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.requestPort.close();
    this.replyPort.close();
    this.pool.forgetSlot(this);

    const running = this.stack.splice(0);
    const queued = this.queue.splice(0);
    const top = running.at(-1);
    for (const op of [...running, ...queued]) this.detach(op);

    if (this.closing) {
      for (const op of [...running, ...queued]) op.reject(new SandboxError("the sandbox pool was closed"));
      return;
    }

    const cause = this.hung
      ? "the sandbox worker stopped responding and was restarted"
      : `the sandbox worker crashed${this.crashMessage ? ` (${this.crashMessage})` : ` (exit code ${code})`} and was restarted`;
    const notice = `SandboxError: ${cause}; variables from earlier blocks are lost. Define what you need again and re-run.`;
    for (const session of this.sessions) session.markLost(notice);
    this.sessions.clear();

    for (const op of running) {
      let message = notice;
      if (op.request.type === "run") {
        if (op === top && this.hung) {
          message = `TimeoutError: block exceeded ${op.session.limits.timeoutMs} ms and did not respond to interruption; ${cause}. Variables from earlier blocks are lost.`;
        } else {
          message = `SandboxError: ${cause} while ${op === top ? "running this block" : "this block waited for a host call"}; variables from earlier blocks are lost.`;
        }
        // The block learns about the loss from its own result: nothing left to tell the session.
        op.session.clearNotice();
      }
      op.reject(new WorkerDiedError(message));
    }
    for (const op of queued) {
      // A queued block's result is that session's next block result: it carries the notice.
      if (op.request.type === "run") op.session.clearNotice();
      op.reject(new WorkerDiedError(notice));
    }
  }
}

const ABORT_MESSAGE = "AbortError: the block was aborted";

function abortReply(): string {
  return JSON.stringify({
    ok: false,
    name: "AbortError",
    message: "the block was aborted",
  } satisfies HostReply);
}

async function invokeHost(host: SandboxHost, fn: HostFunctionName, argsJson: string): Promise<string> {
  try {
    const args = JSON.parse(argsJson) as unknown[];
    let value: unknown;
    switch (fn) {
      case "searchDb": {
        const [query, topK, filters] = args;
        const hits = await host.searchDb(
          String(query),
          typeof topK === "number" ? topK : undefined,
          filters !== null && typeof filters === "object"
            ? (filters as Parameters<SandboxHost["searchDb"]>[2])
            : undefined,
        );
        value = (Array.isArray(hits) ? hits : []).map(toPlainHit);
        break;
      }
      case "llmQuery":
        value = String(await host.llmQuery(String(args[0])));
        break;
      case "llmQueryBatched": {
        const prompts = Array.isArray(args[0]) ? args[0].map(String) : [];
        const answers = await host.llmQueryBatched(prompts);
        value = (Array.isArray(answers) ? answers : []).map(String);
        break;
      }
      default:
        throw new Error(`unknown host function ${String(fn)}`);
    }
    return JSON.stringify({ ok: true, value } satisfies HostReply);
  } catch (error) {
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    return JSON.stringify({ ok: false, name, message } satisfies HostReply);
  }
}

function toPlainHit(hit: SearchResult): SearchResult {
  return {
    id: String(hit.id),
    content: String(hit.content),
    metadata: hit.metadata !== null && typeof hit.metadata === "object" ? hit.metadata : {},
    score: Number(hit.score),
  };
}

class SessionImpl implements SandboxSession {
  readonly id: number;
  readonly host: SandboxHost;
  readonly limits: ResolvedLimits;
  private readonly contextJson: string | undefined;
  private readonly pool: WorkerSandboxPool;
  private slot: WorkerSlot | undefined;
  private live = false;
  private disposed = false;
  private notice: string | undefined;
  private attaching: Promise<void> | undefined;

  constructor(
    pool: WorkerSandboxPool,
    id: number,
    host: SandboxHost,
    contextJson: string | undefined,
    limits: ResolvedLimits,
  ) {
    this.pool = pool;
    this.id = id;
    this.host = host;
    this.contextJson = contextJson;
    this.limits = limits;
  }

  markLost(notice: string): void {
    this.live = false;
    this.slot = undefined;
    this.notice = notice;
  }

  clearNotice(): void {
    this.notice = undefined;
  }

  /** (Re)creates the QuickJS context on a worker when there is none. */
  async ensureLive(): Promise<WorkerSlot> {
    for (;;) {
      if (this.disposed) throw new SandboxError("the sandbox session was disposed");
      if (this.live && this.slot !== undefined && !this.slot.dead) return this.slot;
      this.attaching ??= this.attach().finally(() => {
        this.attaching = undefined;
      });
      await this.attaching;
    }
  }

  private async attach(): Promise<void> {
    const slot = this.pool.pickSlot();
    slot.sessions.add(this);
    this.slot = slot;
    try {
      await slot.request(this, { type: "create", contextJson: this.contextJson, limits: this.limits });
      this.live = true;
    } catch (error) {
      slot.sessions.delete(this);
      if (this.slot === slot) this.slot = undefined;
      throw error instanceof SandboxError ? error : new SandboxError(String(error), { cause: error });
    }
  }

  async run(code: string, options?: { signal?: AbortSignal }): Promise<BlockResult> {
    const started = performance.now();
    const done = (outcome: RunOutcome): BlockResult => ({
      ...outcome,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
    if (typeof code !== "string") throw new TypeError("run(code): code must be a string");
    if (this.pool.closed) throw new SandboxError("the sandbox pool was closed");
    const signal = options?.signal;
    if (signal?.aborted) return done({ output: "", error: ABORT_MESSAGE });
    let slot: WorkerSlot;
    try {
      slot = await this.ensureLive();
    } catch (error) {
      if (this.disposed) throw error;
      return done({ output: "", error: `SandboxError: could not start the sandbox: ${errorText(error)}` });
    }
    if (this.notice !== undefined) {
      const notice = this.notice;
      this.notice = undefined;
      return done({ output: "", error: notice });
    }
    try {
      return done((await slot.request(this, { type: "run", code }, signal)) as RunOutcome);
    } catch (error) {
      if (error instanceof WorkerDiedError) return done({ output: "", error: error.message });
      if (this.disposed) throw error;
      return done({ output: "", error: `SandboxError: ${errorText(error)}` });
    }
  }

  async getVar(name: string): Promise<string | undefined> {
    assertName(name);
    try {
      const slot = await this.ensureLive();
      return (await slot.request(this, { type: "getVar", name })) as string | undefined;
    } catch (error) {
      if (error instanceof WorkerDiedError) return undefined;
      throw error;
    }
  }

  async setVar(name: string, value: unknown): Promise<void> {
    assertName(name);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new SandboxError(`setVar(${name}): value is not JSON-serialisable: ${errorText(error)}`, {
        cause: error,
      });
    }
    if (json === undefined) throw new SandboxError(`setVar(${name}): value is not JSON-serialisable`);
    for (let attempt = 0; ; attempt++) {
      try {
        const slot = await this.ensureLive();
        await slot.request(this, { type: "setVar", name, json });
        return;
      } catch (error) {
        if (!(error instanceof WorkerDiedError) || attempt > 0) throw error;
      }
    }
  }

  async listVars(): Promise<string[]> {
    try {
      const slot = await this.ensureLive();
      return (await slot.request(this, { type: "listVars" })) as string[];
    } catch (error) {
      if (error instanceof WorkerDiedError) return [];
      throw error;
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const slot = this.slot;
    this.slot = undefined;
    this.live = false;
    if (slot === undefined || slot.dead) return;
    try {
      await slot.request(this, { type: "dispose" });
    } catch {
      // The worker is gone or the pool closed: nothing left to free.
    } finally {
      slot.sessions.delete(this);
    }
  }

  /** Test hook: run a block during which the worker crashes or hangs outside QuickJS. */
  async debugRun(action: "crash" | "hang"): Promise<BlockResult> {
    const started = performance.now();
    const slot = await this.ensureLive();
    let outcome: RunOutcome;
    try {
      outcome = (await slot.request(this, { type: "run", code: "", debug: action })) as RunOutcome;
    } catch (error) {
      if (!(error instanceof WorkerDiedError)) throw error;
      outcome = { output: "", error: error.message };
    }
    return { ...outcome, durationMs: performance.now() - started };
  }
}

function assertName(name: string): void {
  if (typeof name !== "string" || name.length === 0)
    throw new TypeError("variable name must be a non-empty string");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class WorkerSandboxPool implements SandboxPool {
  private readonly maxWorkers: number;
  private readonly defaults: ResolvedLimits;
  private readonly slots: WorkerSlot[] = [];
  closed = false;
  private requestId = 0;
  private sessionId = 0;

  constructor(options: SandboxOptions) {
    if (options === null || typeof options !== "object")
      throw new ConfigError("sandbox options must be an object");
    this.defaults = resolveLimits(DEFAULT_LIMITS, options, "sandbox");
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism()));
    if (!Number.isInteger(workers) || workers < 1) {
      throw new ConfigError(`sandbox.workers must be an integer >= 1, got ${String(options.workers)}`, {
        field: "sandbox.workers",
      });
    }
    this.maxWorkers = workers;
  }

  nextRequestId(): number {
    this.requestId = this.requestId >= MAX_REQUEST_ID ? 1 : this.requestId + 1;
    return this.requestId;
  }

  /** The worker for a new session: an empty one if any, else a new one, else the least loaded. */
  pickSlot(): WorkerSlot {
    if (this.closed) throw new SandboxError("the sandbox pool was closed");
    let best: WorkerSlot | undefined;
    for (const slot of this.slots) {
      if (best === undefined || slot.load < best.load || (slot.load === best.load && slot.busy < best.busy)) {
        best = slot;
      }
    }
    if (best === undefined || (best.load > 0 && this.slots.length < this.maxWorkers)) {
      best = new WorkerSlot(this);
      this.slots.push(best);
    }
    return best;
  }

  forgetSlot(slot: WorkerSlot): void {
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
  }

  async createSession(
    host: SandboxHost,
    options?: { context?: unknown; limits?: SandboxLimits },
  ): Promise<SandboxSession> {
    if (this.closed) throw new SandboxError("the sandbox pool was closed");
    for (const fn of ["searchDb", "llmQuery", "llmQueryBatched"] as const) {
      if (typeof host?.[fn] !== "function") throw new ConfigError(`sandbox host.${fn} must be a function`);
    }
    const limits = resolveLimits(this.defaults, options?.limits ?? {}, "limits");
    let contextJson: string | undefined;
    if (options?.context !== undefined) {
      try {
        contextJson = JSON.stringify(options.context);
      } catch (error) {
        throw new ConfigError(`sandbox context must be JSON-serialisable: ${errorText(error)}`, {
          field: "context",
          cause: error,
        });
      }
    }
    this.sessionId += 1;
    const session = new SessionImpl(this, this.sessionId, host, contextJson, limits);
    await session.ensureLive();
    return session;
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.terminate()));
  }
}

function resolveLimits(base: ResolvedLimits, limits: SandboxLimits, prefix: string): ResolvedLimits {
  const check = (field: keyof SandboxLimits, min: number): number => {
    const value = limits[field];
    if (value === undefined) return base[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
      throw new ConfigError(`${prefix}.${field} must be a finite number >= ${min}, got ${String(value)}`, {
        field: `${prefix}.${field}`,
      });
    }
    return Math.floor(value);
  };
  return {
    timeoutMs: check("timeoutMs", 1),
    memoryBytes: check("memoryBytes", 1024 * 1024),
    maxOutputChars: check("maxOutputChars", 1),
  };
}

/**
 * Test hook (not exported from the package): runs a block of `session` during which its worker
 * crashes or hangs outside QuickJS, where no interrupt handler can help.
 */
export function debugRun(session: SandboxSession, action: "crash" | "hang"): Promise<BlockResult> {
  if (!(session instanceof SessionImpl)) throw new TypeError("not a pooled sandbox session");
  return session.debugRun(action);
}

/**
 * Flags that Node rejects for worker threads (ERR_WORKER_INVALID_EXEC_ARGV) or that make no
 * sense there; everything else (loaders, conditions, type stripping) is inherited.
 */
const WORKER_REJECTED_FLAGS =
  /^--(input-type|expose[-_]gc|inspect|inspect-brk|inspect-port|inspect-wait|debug-port|title|prof|cpu-prof|heap-prof|redirect-warnings|trace-event|diagnostic-dir|report)/;

function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (WORKER_REJECTED_FLAGS.test(arg)) {
      // "--title name" style: drop the value too.
      if (
        !arg.includes("=") &&
        args[i + 1] !== undefined &&
        !args[i + 1]!.startsWith("-") &&
        /^--(title|inspect-port|debug-port|redirect-warnings|diagnostic-dir)$/.test(arg)
      )
        i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}
