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
  resolve(grant: SlotGrant<W>): void;
  reject(error: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class WorkerSlots<W = unknown> {
  /** Most workers alive at once. */
  readonly capacity: number;
  private used = 0;
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

  /** Waiters in line now that belong to `owner`. */
  waitingFor(owner: unknown): number {
    let n = 0;
    for (const waiter of this.waiters) if (waiter.owner === owner) n++;
    return n;
  }

  /** Takes a slot if one is free and nobody is waiting for one (no jumping the line). */
  tryTake(): boolean {
    if (this.waiters.length > 0 || this.used >= this.capacity) return false;
    this.used += 1;
    return true;
  }

  /**
   * Waits in line for a slot (or a worker `owner`'s pool hands over). Asks pools with idle
   * workers to end one, since an idle worker holds a slot nobody uses.
   * @throws SlotWaitAbortedError when `signal` fires first (the waiter leaves the line).
   */
  wait(owner: unknown, signal?: AbortSignal): Promise<SlotGrant<W>> {
    if (signal?.aborted) return Promise.reject(new SlotWaitAbortedError("the wait was aborted"));
    return new Promise<SlotGrant<W>>((resolve, reject) => {
      const waiter: Waiter<W> = { owner, resolve, reject, signal, onAbort: undefined };
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
      this.reclaim();
    });
  }

  /** A worker has exited: its slot goes to the first waiter, or is free again. */
  give(): void {
    if (this.reclaiming > 0) this.reclaiming -= 1;
    const waiter = this.next();
    if (waiter !== undefined) waiter.resolve({ kind: "slot" });
    else this.used = Math.max(0, this.used - 1);
  }

  /**
   * Hands `worker` (whose session ended; it keeps its slot) to the first waiter if that waiter
   * belongs to `owner`. False when the line is empty or starts with another pool's waiter.
   */
  handOver(owner: unknown, worker: W): boolean {
    if (this.waiters[0]?.owner !== owner) return false;
    this.next()!.resolve({ kind: "worker", worker });
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

  private next(): Waiter<W> | undefined {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.detach(waiter);
    return waiter;
  }

  private detach(waiter: Waiter<W>): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort);
  }

  /** Ends idle workers, one per waiter not already covered by one on its way out. */
  private reclaim(): void {
    while (this.waiters.length > this.reclaiming) {
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
