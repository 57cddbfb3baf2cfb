/**
 * A first-come, first-served lock whose waiters can give up: one model context generates one
 * reply at a time, and a request whose client left stops waiting for its turn.
 */
export class Mutex {
  #locked = false;
  #waiters: Array<{ grant: () => void; signal?: AbortSignal; onAbort?: () => void }> = [];

  /** How many callers wait for the lock (not counting the holder). */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves with a release function once the lock is held; rejects with `signal.reason` on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const release = () => this.#release();
      if (!this.#locked) {
        this.#locked = true;
        resolve(release);
        return;
      }
      const waiter: { grant: () => void; signal?: AbortSignal; onAbort?: () => void } = {
        grant: () => resolve(release),
      };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (!next) {
      this.#locked = false;
      return;
    }
    if (next.signal && next.onAbort) next.signal.removeEventListener("abort", next.onAbort);
    next.grant();
  }
}
