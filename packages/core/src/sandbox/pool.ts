/**
 * The sandbox pool: gives every session a worker thread of its own and keeps a few started
 * workers warm, so a session costs a message round trip rather than a thread start (~40 ms).
 * One session per worker is what keeps one query's runaway block (say, native work that ignores
 * interrupts) from costing any other query its variables: only the offender's worker is killed.
 * How many workers are alive at once is capped (`maxWorkers`, see worker-slots.ts): a session
 * beyond the cap waits for one.
 */
import { availableParallelism } from "node:os";
import { getErrorMessage } from "../errors/get-error-message.ts";
import { ConfigError, SandboxError } from "../errors.ts";
import { DEFAULT_LIMITS, resolveLimits } from "./limits.ts";
import {
  MemoryBudget,
  type MemoryBudgetShare,
  newMemoryBudget,
  processMemoryBudget,
} from "./memory-budget.ts";
import type { DisposeReport, ResolvedLimits } from "./protocol.ts";
import { SandboxWorker, type WorkerExit } from "./sandbox-worker.ts";
import { PooledSession, type WorkerLender } from "./session.ts";
import type {
  BlockResult,
  SandboxHost,
  SandboxLimits,
  SandboxOptions,
  SandboxPool,
  SandboxPoolStats,
  SandboxSession,
  SandboxWorkerReport,
  SessionNesting,
} from "./types.ts";
import type { IdleWorkerHolder, SlotClaim } from "./worker-slots.ts";
import { processWorkerSlots, WorkerSlots } from "./worker-slots.ts";

/** The claim of a session that is no child investigation's and waits on none. */
const TOP_LEVEL: SlotClaim = { reserve: 0, nested: false };

export { DEFAULT_LIMITS } from "./limits.ts";

/**
 * A worker whose last session's WebAssembly memory grew past this is terminated rather than
 * reused: terminating gives the memory back to the system at once, while a dropped instance
 * waits for the worker's garbage collector.
 */
const RECYCLE_BELOW_BYTES = 24 * 1024 * 1024;
/** How long an idle worker beyond the `workers` kept warm may wait before it is terminated (ms). */
const IDLE_TRIM_MS = 30_000;

/**
 * Creates a sandbox pool. Workers start when the first session needs one; idle workers never
 * keep the process alive.
 * @throws ConfigError for invalid options (names the field).
 */
export function createSandboxPool(options: SandboxOptions = {}): SandboxPool {
  return new WorkerSandboxPool(options);
}

class WorkerSandboxPool implements SandboxPool, WorkerLender, IdleWorkerHolder {
  closed = false;
  private readonly warm: number;
  private readonly memoryBudget: MemoryBudgetShare;
  /** The cap on workers alive at once: this pool's own, or the one shared by the process. */
  private readonly slots: WorkerSlots<SandboxWorker>;
  private readonly defaults: ResolvedLimits;
  private readonly onWorkerError: (report: SandboxWorkerReport) => void;
  private readonly workers = new Set<SandboxWorker>();
  /** Started workers without a session, the longest idle first. */
  private readonly idle: SandboxWorker[] = [];
  private readonly idleSince = new Map<SandboxWorker, number>();
  private trimTimer: NodeJS.Timeout | undefined;
  private readonly sessions = new Set<PooledSession>();
  /** Workers serving a session now, each counted once in the cap's `holding`. */
  private readonly held = new Set<SandboxWorker>();
  private readonly counters = { workersStarted: 0, crashes: 0, hangs: 0, quickjsFailures: 0 };

  constructor(options: SandboxOptions) {
    if (options === null || typeof options !== "object")
      throw new ConfigError("sandbox options must be an object");
    this.defaults = resolveLimits(DEFAULT_LIMITS, options, "sandbox");
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism()));
    if (!Number.isInteger(workers) || workers < 0) {
      throw new ConfigError(`sandbox.workers must be an integer >= 0, got ${String(options.workers)}`, {
        field: "sandbox.workers",
      });
    }
    if (options.onWorkerError !== undefined && typeof options.onWorkerError !== "function") {
      throw new ConfigError("sandbox.onWorkerError must be a function", { field: "sandbox.onWorkerError" });
    }
    this.warm = workers;
    const maxWorkers = options.maxWorkers;
    if (maxWorkers !== undefined && (!Number.isInteger(maxWorkers) || maxWorkers < 1)) {
      throw new ConfigError(`sandbox.maxWorkers must be an integer >= 1, got ${String(maxWorkers)}`, {
        field: "sandbox.maxWorkers",
      });
    }
    this.slots = maxWorkers === undefined ? processWorkerSlots<SandboxWorker>() : new WorkerSlots(maxWorkers);
    const total = options.totalMemoryBytes;
    if (total !== undefined && (typeof total !== "number" || !Number.isFinite(total) || total < 0)) {
      throw new ConfigError(`sandbox.totalMemoryBytes must be a finite number >= 0, got ${String(total)}`, {
        field: "sandbox.totalMemoryBytes",
      });
    }
    // Int32 pages: anything past 2^31 pages (128 TiB) is no limit anyway.
    this.memoryBudget =
      total === undefined ? processMemoryBudget() : newMemoryBudget(Math.min(total, 2 ** 46));
    this.onWorkerError = options.onWorkerError ?? defaultReporter;
  }

  async createSession(
    host: SandboxHost,
    options?: { context?: unknown; limits?: SandboxLimits; nesting?: SessionNesting },
  ): Promise<SandboxSession> {
    if (this.closed) throw new SandboxError("the sandbox pool was closed");
    for (const fn of ["searchDb", "llmQuery", "llmQueryBatched"] as const) {
      if (typeof host?.[fn] !== "function") throw new ConfigError(`sandbox host.${fn} must be a function`);
    }
    const claim = this.claimOf(options?.nesting);
    const limits = resolveLimits(this.defaults, options?.limits ?? {}, "limits");
    let contextJson: string | undefined;
    if (options?.context !== undefined) {
      try {
        contextJson = JSON.stringify(options.context);
      } catch (error) {
        throw new ConfigError(`sandbox context must be JSON-serialisable: ${getErrorMessage(error)}`, {
          field: "context",
          cause: error,
        });
      }
    }
    // The worker is taken when the session's first block runs (see PooledSession.run): that is
    // where a wait for one is bounded by the block's wall time and can be aborted.
    const session = new PooledSession(this, host, contextJson, limits, claim);
    this.sessions.add(session);
    return session;
  }

  stats(): SandboxPoolStats {
    return {
      ...this.counters,
      workersAlive: this.workers.size,
      workersIdle: this.idle.length,
      sessions: this.sessions.size,
      sessionsWaiting: this.slots.waitingFor(this),
      maxWorkers: this.slots.capacity,
      memoryGrantedBytes: new MemoryBudget(this.memoryBudget).grantedBytes,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.trimTimer !== undefined) clearTimeout(this.trimTimer);
    this.slots.cancel(this, new SandboxError("the sandbox pool was closed"));
    const workers = [...this.workers];
    this.idle.length = 0;
    this.slots.setIdle(this, false);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  // --- WorkerLender ----------------------------------------------------------------------------

  get maxWorkers(): number {
    return this.slots.capacity;
  }

  async acquire(signal?: AbortSignal, claim: SlotClaim = TOP_LEVEL): Promise<SandboxWorker> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new SandboxError("the sandbox pool was closed");
      const worker = await this.take(signal, claim);
      try {
        await worker.ready;
        return worker;
      } catch (error) {
        // A warm worker that died while idle: take another, once.
        if (attempt > 0) throw error;
      }
    }
  }

  /**
   * The slot claim of a session at `nesting` (see WorkerSlots): its reserve is the levels below
   * it, cut to what the cap can hold at once (with `maxWorkers` below `maxDepth`, the levels past
   * the cap wait instead of every nested level).
   * @throws ConfigError for a nesting that is not 1 <= depth <= maxDepth (integers).
   */
  private claimOf(nesting: SessionNesting | undefined): SlotClaim {
    if (nesting === undefined) return TOP_LEVEL;
    const { depth, maxDepth } = nesting;
    if (!Number.isInteger(depth) || !Number.isInteger(maxDepth) || depth < 1 || depth > maxDepth) {
      throw new ConfigError(
        `nesting must have integers 1 <= depth <= maxDepth, got depth ${String(depth)}, maxDepth ${String(maxDepth)}`,
        { field: "nesting" },
      );
    }
    return { reserve: Math.max(0, Math.min(maxDepth, this.slots.capacity) - depth), nested: depth > 1 };
  }

  /**
   * A worker for a new session with `claim` (see WorkerSlots' reserve rule): the most recently
   * used idle one (its caches are warm), else a new one if the cap has room, else the first to
   * come free (waiting in line, until `signal` fires). It is held for the session until
   * `release` or `discard`. Taking the last idle worker starts a spare for the next session if
   * the cap has room.
   */
  private async take(signal: AbortSignal | undefined, claim: SlotClaim): Promise<SandboxWorker> {
    let worker: SandboxWorker;
    if (this.idle.length > 0 && this.slots.tryHold(claim)) {
      worker = this.idle.pop()!;
      this.idleSince.delete(worker);
      if (this.idle.length === 0) this.slots.setIdle(this, false);
    } else if (this.slots.tryTake(claim)) {
      worker = this.startHeld();
    } else {
      const grant = await this.slots.wait(this, signal, claim);
      if (this.closed) {
        // The pool closed while the grant was on its way: give the slot back.
        this.slots.unhold();
        if (grant.kind === "worker") void grant.worker.terminate();
        else this.slots.give();
        throw new SandboxError("the sandbox pool was closed");
      }
      worker = grant.kind === "worker" ? grant.worker : this.startHeld();
    }
    this.held.add(worker);
    if (this.idle.length === 0 && this.warm > 0 && this.slots.tryTake()) this.addIdle(this.start());
    return worker;
  }

  /** {@link start} for a slot held for a session: the hold goes too if the worker cannot start. */
  private startHeld(): SandboxWorker {
    try {
      return this.start();
    } catch (error) {
      this.slots.unhold();
      throw error;
    }
  }

  /** The session that held `worker` is done with it (its slot may live on, idle or handed over). */
  private unhold(worker: SandboxWorker, settle = true): boolean {
    if (!this.held.delete(worker)) return false;
    this.slots.unhold({ settle });
    return true;
  }

  async release(worker: SandboxWorker, report: DisposeReport): Promise<void> {
    // Settled once this worker has found its next use: a waiter may get it handed over.
    if (this.unhold(worker, false)) queueMicrotask(() => this.slots.settle());
    if (report.problem !== undefined) {
      this.report({ kind: "quickjs", message: `freeing a sandbox session failed: ${report.problem}` });
    }
    const reusable =
      !this.closed &&
      !worker.dead &&
      report.problem === undefined &&
      report.dirty !== true &&
      report.wasmBytes <= RECYCLE_BELOW_BYTES;
    if (reusable && this.slots.handOver(this, worker)) return;
    if (!reusable || this.slots.waitingServable > 0) {
      // Its memory (and, if a waiter of another pool is first in line, its slot) is given back
      // only once the thread has exited; the session's dispose waits for that. (Waiters the
      // reserve rule keeps out wait for sessions to end, not for this worker's slot.)
      await worker.terminate();
      return;
    }
    this.addIdle(worker);
    this.scheduleTrim();
  }

  /** Ends one idle worker so a session of another pool sharing the cap can start one. */
  shedIdle(): boolean {
    const worker = this.idle.shift();
    if (worker === undefined) return false;
    this.idleSince.delete(worker);
    if (this.idle.length === 0) this.slots.setIdle(this, false);
    void worker.terminate();
    return true;
  }

  private addIdle(worker: SandboxWorker): void {
    this.idle.push(worker);
    this.idleSince.set(worker, performance.now());
    this.slots.setIdle(this, true);
  }

  /**
   * Idle workers beyond `warm` (a burst's leftovers) are terminated once they have waited
   * IDLE_TRIM_MS, not at once: a steady stream of queries then reuses them instead of starting
   * and terminating a thread per query.
   */
  private scheduleTrim(): void {
    if (this.trimTimer !== undefined || this.idle.length <= this.warm) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      const now = performance.now();
      while (this.idle.length > this.warm) {
        const oldest = this.idle[0]!;
        if (now - (this.idleSince.get(oldest) ?? now) < IDLE_TRIM_MS) break;
        this.idle.shift();
        this.idleSince.delete(oldest);
        void oldest.terminate();
      }
      if (this.idle.length === 0) this.slots.setIdle(this, false);
      this.scheduleTrim();
    }, IDLE_TRIM_MS);
    this.trimTimer.unref();
  }

  async discard(worker: SandboxWorker): Promise<void> {
    this.unhold(worker);
    await worker.terminate();
  }

  forget(session: PooledSession): void {
    this.sessions.delete(session);
  }

  // ---------------------------------------------------------------------------------------------

  /** Starts a worker in a slot the caller has taken (given back when the thread exits). */
  private start(): SandboxWorker {
    let worker: SandboxWorker;
    try {
      worker = this.newWorker();
    } catch (error) {
      this.slots.give();
      throw error;
    }
    this.workers.add(worker);
    this.counters.workersStarted += 1;
    return worker;
  }

  private newWorker(): SandboxWorker {
    return new SandboxWorker({
      defaultMemoryBytes: this.defaults.memoryBytes,
      recycleBelowBytes: RECYCLE_BELOW_BYTES,
      memoryBudget: this.memoryBudget,
      onExit: (w, exit) => this.onWorkerExit(w, exit),
      onStderr: (text) => this.report({ kind: "quickjs", message: text.trim() }),
    });
  }

  private onWorkerExit(worker: SandboxWorker, exit: WorkerExit): void {
    this.workers.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index !== -1) {
      this.idle.splice(index, 1);
      if (this.idle.length === 0) this.slots.setIdle(this, false);
    }
    this.idleSince.delete(worker);
    // Unheld before the slot is given: who may have it depends on how many are held.
    this.unhold(worker);
    this.slots.give();
    if (!exit.expected && !this.closed)
      this.report({ kind: exit.hung ? "hang" : "crash", message: exit.cause });
  }

  private report(report: SandboxWorkerReport): void {
    if (report.kind === "crash") this.counters.crashes += 1;
    else if (report.kind === "hang") this.counters.hangs += 1;
    else this.counters.quickjsFailures += 1;
    try {
      this.onWorkerError(report);
    } catch {
      // A failing reporter must not take the pool down with it.
    }
  }
}

function defaultReporter(report: SandboxWorkerReport): void {
  process.emitWarning(`sandbox ${report.kind}: ${report.message}`, { code: "DEEPRECALL_SANDBOX" });
}

/**
 * Test hook (not exported from the package): runs a block of `session` during which its worker
 * crashes or hangs outside QuickJS, where no interrupt handler can help.
 */
export function debugRun(
  session: SandboxSession,
  action: "crash" | "hang",
  signal?: AbortSignal,
): Promise<BlockResult> {
  if (!(session instanceof PooledSession)) throw new TypeError("not a pooled sandbox session");
  return session.debugRun(action, signal);
}
