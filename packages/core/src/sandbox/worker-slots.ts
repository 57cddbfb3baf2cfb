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
 * session claims a slot with a `reserve`, how many levels of nested sessions it may wait on, and
 * it gets a worker only while that many would still be left for them: with `held` workers
 * serving sessions, a session with reserve r may hold one more when `held + 1 + r <= capacity`.
 * The last session to get a worker then always leaves room for its own child, whose reserve is
 * one less, so some chain can always go on, and the deepest level (reserve 0) waits on nobody.
 *
 * Who is served first: nested sessions (children of sessions that hold workers: serving them is
 * what lets those workers come back), deepest first, then first come first served; then
 * top-level sessions strictly in order of arrival. Nobody overtakes a waiter that must wait for
 * its reserve: no top-level session while a child waits, no top-level session ahead of an earlier
 * one. Otherwise a stream of shallow queries (reserve 0), each taking the worker the last one gave
 * back, could keep a deep query or its children waiting for ever.
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

/** What a session claims a slot with (see the class comment). */
export interface SlotClaim {
  /** Levels of nested sessions its blocks may wait on (>= 0). */
  reserve: number;
  /** A child investigation's session (its parent holds a worker while it waits). */
  nested: boolean;
}

interface Waiter<W> {
  owner: unknown;
  /** The session's claim; undefined: a wait whose grant is not held (see `tryTake`). */
  claim: SlotClaim | undefined;
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
   * Waiters in line now that workers coming free would serve (top-level ones up to the first the
   * reserve rule keeps out): the others wait for sessions to end, not for workers.
   */
  get waitingServable(): number {
    let nested = 0;
    let nestedWaiting = false;
    let topLevel = 0;
    let topLevelBlocked = false;
    for (const waiter of this.waiters) {
      const reserve = waiter.claim?.reserve ?? 0;
      if (waiter.claim?.nested === true) {
        nestedWaiting = true;
        if (this.mayHold(reserve)) nested++;
      } else if (!topLevelBlocked) {
        // Top-level waiters are served in order: none after the first the rule keeps out.
        if (this.mayHold(reserve)) topLevel++;
        else topLevelBlocked = true;
      }
    }
    // While a child waits, no top-level session is served (see nextToServe).
    return nestedWaiting ? nested : topLevel;
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
   * Without `claim`: a slot for a spare worker, taken only when nobody waits at all. With a
   * session's `claim`: only when the reserve rule allows it, and the slot is also held for the
   * session (see the class comment for who comes first).
   */
  tryTake(claim?: SlotClaim): boolean {
    if (this.used >= this.capacity) return false;
    if (claim === undefined) {
      if (this.waiters.length > 0) return false;
    } else if (!this.tryHold(claim)) return false;
    this.used += 1;
    return true;
  }

  /**
   * Holds a worker for a session with `claim` when the reserve rule allows it and no waiter
   * comes first: the slot of a worker to start, or of an idle one of the caller's pool. Give it
   * back with {@link unhold}.
   */
  tryHold(claim: SlotClaim): boolean {
    if (!this.mayHold(claim.reserve)) return false;
    for (const waiter of this.waiters) if (comesBefore(waiter.claim, claim)) return false;
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
  wait(owner: unknown, signal?: AbortSignal, claim?: SlotClaim): Promise<SlotGrant<W>> {
    if (signal?.aborted) return Promise.reject(new SlotWaitAbortedError("the wait was aborted"));
    return new Promise<SlotGrant<W>>((resolve, reject) => {
      const waiter: Waiter<W> = { owner, claim, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index === -1) return;
          this.waiters.splice(index, 1);
          reject(new SlotWaitAbortedError("the wait was aborted"));
          // Waiters it kept back (behind it in line, or behind a child) may go now.
          this.settle();
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
    this.settle();
  }

  /**
   * Hands `worker` (whose session ended and was unheld; it keeps its slot) to the first waiter
   * that may have it if that waiter belongs to `owner`. False when there is none, or it is
   * another pool's.
   */
  handOver(owner: unknown, worker: W): boolean {
    const index = this.nextToServe();
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
    // Waiters of other pools that these kept back may go now.
    this.settle();
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

  /**
   * The waiter to serve next (see the class comment): the deepest nested waiter the reserve rule
   * lets hold a worker, first come among equals; when no child waits, the first top-level waiter
   * if the rule lets it; -1: none.
   */
  private nextToServe(): number {
    let best = -1;
    let nestedWaiting = false;
    let firstTopLevel = -1;
    for (let i = 0; i < this.waiters.length; i++) {
      const claim = this.waiters[i]!.claim;
      if (claim?.nested !== true) {
        if (firstTopLevel === -1) firstTopLevel = i;
        continue;
      }
      nestedWaiting = true;
      if (best !== -1 && claim.reserve >= this.waiters[best]!.claim!.reserve) continue;
      if (this.mayHold(claim.reserve)) best = i;
    }
    if (best !== -1 || nestedWaiting) return best;
    if (firstTopLevel !== -1 && this.mayHold(this.waiters[firstTopLevel]!.claim?.reserve ?? 0))
      return firstTopLevel;
    return -1;
  }

  /** Gives free slots to the waiters that may have them. */
  private grantFree(): void {
    while (this.used < this.capacity) {
      const index = this.nextToServe();
      if (index === -1) return;
      this.used += 1;
      this.grant(index, { kind: "slot" });
    }
  }

  private grant(index: number, grant: SlotGrant<W>): void {
    const [waiter] = this.waiters.splice(index, 1);
    this.detach(waiter!);
    // Held from now, not from when the waiter wakes: the next grant must see it.
    if (waiter!.claim !== undefined) this.held += 1;
    waiter!.resolve(grant);
  }

  private detach(waiter: Waiter<W>): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }

  /** Ends idle workers, one per waiter a slot would serve that is not already covered by one on its way out. */
  private reclaim(): void {
    while (this.waitingServable > this.reclaiming) {
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

/**
 * Whether a waiter with `waiting` is served before a new session with `claim` (see WorkerSlots):
 * nested sessions before top-level ones, and among nested ones the deeper, or the earlier of
 * equals; top-level ones in order of arrival.
 */
function comesBefore(waiting: SlotClaim | undefined, claim: SlotClaim): boolean {
  if (claim.nested) return waiting?.nested === true && waiting.reserve <= claim.reserve;
  return true;
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
