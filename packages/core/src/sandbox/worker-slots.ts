/**
 * The cap on sandbox worker threads alive at once (`SandboxOptions.maxWorkers`).
 *
 * Every session has a worker thread of its own (that is what keeps one query's runaway block from
 * costing another query its variables), and each worker costs memory that no heap limit sees: its
 * V8 isolate and its QuickJS instance's fixed part, ~24 MiB of process RSS. Without a cap, N
 * concurrent queries that run code cost N workers, so an attacker who gets blocks into many
 * concurrent requests (a prompt injection in a document) could add memory without bound. With
 * it, a session that needs a worker beyond the cap waits, first in first served, until one exits
 * (or, from the same pool, is handed over when its session ends).
 *
 * A slot is held from the moment a worker is started until its thread has exited (so its memory
 * is really gone before another worker takes its place). Main thread only.
 *
 * Nested sessions (`maxDepth > 1`: a block's `llmQuery` runs a child investigation whose own
 * blocks need a worker while the parent's worker waits for the answer) would deadlock a plain
 * cap: parents holding every worker, their children waiting for one until their wall time. So a
 * session says how many levels of nested sessions it may wait on (`reserve`), and it gets a
 * worker only while that many would still be left for them: with `held` workers serving
 * sessions, a session with reserve r may hold one more when `held + 1 + r <= capacity`. The last
 * session to get a worker then always leaves room for its own child, whose reserve is one less,
 * so some chain can always go on, and the deepest levels (reserve 0) never wait on anyone.
 * Waiters are served deepest first (smallest reserve), first come first served among equals.
 */

/** Workers alive at once in pools that leave `maxWorkers` out (one cap shared by all of them). */
export const DEFAULT_MAX_WORKERS = 8;

/** What a pool sharing the cap offers it: ending an idle worker of its own so a waiter elsewhere can start one. */
export interface IdleWorkerHolder {
  /** Terminates one idle worker (its slot comes back when it has exited); false when there is none. */
  shedIdle(): boolean;
}

/**
 * What a waiter gets: the slot of a worker yet to start, or (only from its own pool) a started
 * worker whose session just ended, which keeps the slot it already holds.
 */
export type SlotGrant<W> = { kind: "slot" } | { kind: "worker"; worker: W };

/** A wait ended by its signal: the waiter left the queue and holds nothing. */
export class SlotWaitAbortedError extends Error {
  override readonly name = "SlotWaitAbortedError";
}

interface Waiter<W> {
  owner: unknown;
  /** Levels of nested sessions it may wait on; undefined: a wait whose grant is not held (see `tryTake`). */
  reserve: number | undefined;
  resolve(grant: SlotGrant<W>): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class WorkerSlots<W = unknown> {
  /** Most workers alive at once. */
  readonly capacity: number;
  private used = 0;
  /** Workers serving a session now (a subset of `used`: idle workers are not held). */
  private held = 0;
  private readonly waiters: Array<Waiter<W>> = [];
  /** Pools that have idle workers now (they register and leave themselves). */
  private readonly holders = new Set<IdleWorkerHolder>();
  /** Idle workers terminated for waiters and not yet exited: their slots are on their way. */
  private reclaiming = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Workers alive (or starting, or exiting) now. */
  get inUse(): number {
    return this.used;
  }

  /** Waiters in line now, of every pool sharing this cap. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Waiters in line now that the reserve rule would let hold a worker: the ones a worker coming
   * free can serve (the others wait for sessions to end, not for workers).
   */
  get waitingEligible(): number {
    let n = 0;
    for (const waiter of this.waiters) if (this.mayHold(waiter.reserve ?? 0)) n++;
    return n;
  }

  /** Waiters in line now that belong to `owner`. */
  waitingFor(owner: unknown): number {
    let n = 0;
    for (const waiter of this.waiters) if (waiter.owner === owner) n++;
    return n;
  }

  /** Workers serving a session now. */
  get holding(): number {
    return this.held;
  }

  /**
   * Takes a slot if one is free and nobody is waiting who comes first (no jumping the line).
   * Without `reserve`: a slot for a spare worker, taken only when nobody waits at all. With
   * `reserve` (a session's, see the class comment): the slot is also held for the session, and
   * only waiters at least as deep come first.
   */
  tryTake(reserve?: number): boolean {
    if (this.used >= this.capacity) return false;
    if (reserve === undefined) {
      if (this.waiters.length > 0) return false;
    } else {
      for (const waiter of this.waiters) if ((waiter.reserve ?? 0) <= reserve) return false;
      if (!this.tryHold(reserve)) return false;
    }
    this.used += 1;
    return true;
  }

  /**
   * Holds a started worker (an idle one of the caller's pool, whose slot is already taken) for a
   * session with `reserve` when the reserve rule allows it. Give it back with {@link unhold}.
   */
  tryHold(reserve: number): boolean {
    if (!this.mayHold(reserve)) return false;
    this.held += 1;
    return true;
  }

  /**
   * A session gave back the worker it held (the worker may live on, idle, or be ending). A waiter
   * the reserve rule kept out may now take a free slot, or have an idle worker ended for it;
   * `settle: false` leaves that to a later {@link settle} (a pool that may hand the worker
   * straight to that waiter first).
   */
  unhold(options?: { settle?: boolean }): void {
    this.held = Math.max(0, this.held - 1);
    if (options?.settle !== false) this.settle();
  }

  /** Serves the waiters that free slots or idle workers can serve now. */
  settle(): void {
    this.grantFree();
    this.reclaim();
  }

  /**
   * Waits in line for a slot (or a worker `owner`'s pool hands over). Asks pools with idle
   * workers to end one, since an idle worker holds a slot nobody uses.
   * @throws SlotWaitAbortedError when `signal` fires first (the waiter leaves the line).
   */
  wait(owner: unknown, signal?: AbortSignal, reserve?: number): Promise<SlotGrant<W>> {
    if (signal?.aborted) return Promise.reject(new SlotWaitAbortedError("the wait was aborted"));
    return new Promise<SlotGrant<W>>((resolve, reject) => {
      const waiter: Waiter<W> = { owner, reserve, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index === -1) return;
          this.waiters.splice(index, 1);
          reject(new SlotWaitAbortedError("the wait was aborted"));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      // Free slots a waiter cannot use yet (the reserve rule) may suit this one.
      this.grantFree();
      this.reclaim();
    });
  }

  /** A worker has exited: its slot goes to the first waiter that may have it, or is free again. */
  give(): void {
    if (this.reclaiming > 0) this.reclaiming -= 1;
    this.used = Math.max(0, this.used - 1);
    this.grantFree();
  }

  /**
   * Hands `worker` (whose session ended and was unheld; it keeps its slot) to the first waiter
   * that may have it if that waiter belongs to `owner`. False when there is none, or it is
   * another pool's.
   */
  handOver(owner: unknown, worker: W): boolean {
    const index = this.firstEligible();
    if (index === -1 || this.waiters[index]!.owner !== owner) return false;
    this.grant(index, { kind: "worker", worker });
    return true;
  }

  /** Rejects every waiter of `owner` (its pool closed). */
  cancel(owner: unknown, error: Error): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.owner !== owner) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      this.detach(waiter);
      waiter.reject(error);
    }
  }

  /** `holder` has idle workers (true) or no longer has any (false). */
  setIdle(holder: IdleWorkerHolder, hasIdle: boolean): void {
    if (hasIdle) {
      this.holders.add(holder);
      this.reclaim();
    } else {
      this.holders.delete(holder);
    }
  }

  /** Whether a session with `reserve` may hold one more worker (the class comment's rule). */
  private mayHold(reserve: number): boolean {
    // A reserve the cap could never leave (maxDepth above it) is cut to what it can.
    const r = Math.min(Math.max(0, reserve), this.capacity - 1);
    return this.held + 1 + r <= this.capacity;
  }

  /** The waiter to serve next: the deepest that may hold a worker, first come among equals; -1: none. */
  private firstEligible(): number {
    let best = -1;
    for (let i = 0; i < this.waiters.length; i++) {
      const reserve = this.waiters[i]!.reserve ?? 0;
      if (best !== -1 && reserve >= (this.waiters[best]!.reserve ?? 0)) continue;
      if (this.mayHold(reserve)) best = i;
    }
    return best;
  }

  /** Gives free slots to the waiters that may have them. */
  private grantFree(): void {
    while (this.used < this.capacity) {
      const index = this.firstEligible();
      if (index === -1) return;
      this.used += 1;
      this.grant(index, { kind: "slot" });
    }
  }

  private grant(index: number, grant: SlotGrant<W>): void {
    const [waiter] = this.waiters.splice(index, 1);
    this.detach(waiter!);
    // Held from now, not from when the waiter wakes: the next grant must see it.
    if (waiter!.reserve !== undefined) this.held += 1;
    waiter!.resolve(grant);
  }

  private detach(waiter: Waiter<W>): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }

  /** Ends idle workers, one per waiter that could use its slot and is not already covered by one on its way out. */
  private reclaim(): void {
    while (this.waitingEligible > this.reclaiming) {
      let shed = false;
      for (const holder of this.holders) {
        if (holder.shedIdle()) {
          shed = true;
          break;
        }
      }
      if (!shed) return;
      this.reclaiming += 1;
    }
  }
}

let processSlots: WorkerSlots<unknown> | undefined;

/**
 * The cap shared by every pool in this process that does not set `maxWorkers`: process memory is
 * what it protects, and engines each make their own pool.
 */
export function processWorkerSlots<W>(): WorkerSlots<W> {
  processSlots ??= new WorkerSlots(DEFAULT_MAX_WORKERS);
  // Only pools of this module's SandboxWorker share it; the parameter is for their convenience.
  return processSlots as WorkerSlots<W>;
}
