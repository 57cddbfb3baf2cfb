/**
 * The memory budget shared by every sandbox session: how much WebAssembly memory, in total, the
 * QuickJS instances may grow by. Each session is capped at its own `memoryBytes`, but eight
 * concurrent memory bombs of 64 MiB each still took ~700 MiB of process memory; this budget is
 * what bounds them together.
 *
 * Lives in a `SharedArrayBuffer` so every worker thread takes from it synchronously, from inside
 * the WebAssembly memory's `grow` (see quickjs-instance.ts): a growth the budget refuses makes
 * QuickJS's allocation fail, which the session reports as a `MemoryError` like any other.
 * An instance is charged from its first growth on, for its initial memory too (it has used it to
 * the end by then); one that never grows is not charged (what it touches is part of its
 * worker's fixed cost, bounded by the cap on workers, see worker-slots.ts). What an instance was
 * charged goes back when its memory is freed: at once for a small instance dropped by a worker
 * that is reused, on the worker's exit otherwise.
 */

/** Int32 slot of the shared buffer: WebAssembly pages (64 KiB) currently granted. */
const GRANTED = 0;
/** Bytes in a WebAssembly page. */
export const PAGE_BYTES = 64 * 1024;

/** A budget as it crosses to a worker thread (structured-clonable). */
export interface MemoryBudgetShare {
  buffer: SharedArrayBuffer;
  /** Most pages that may be granted at once. */
  capPages: number;
}

/** A new budget of `bytes` (rounded down to whole pages). */
export function newMemoryBudget(bytes: number): MemoryBudgetShare {
  return {
    buffer: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    capPages: Math.max(0, Math.floor(bytes / PAGE_BYTES)),
  };
}

/** One thread's view of a shared budget. */
export class MemoryBudget {
  readonly capBytes: number;
  private readonly slots: Int32Array;
  private readonly capPages: number;

  constructor(share: MemoryBudgetShare) {
    this.slots = new Int32Array(share.buffer);
    this.capPages = share.capPages;
    this.capBytes = share.capPages * PAGE_BYTES;
  }

  /** Takes `pages` if they fit under the cap; false (nothing taken) if they do not. */
  take(pages: number): boolean {
    if (pages <= 0) return true;
    const after = Atomics.add(this.slots, GRANTED, pages) + pages;
    if (after <= this.capPages) return true;
    Atomics.sub(this.slots, GRANTED, pages);
    return false;
  }

  /** Gives back `pages` taken earlier. */
  give(pages: number): void {
    if (pages > 0) Atomics.sub(this.slots, GRANTED, pages);
  }

  /** Bytes granted now (for tests and stats). */
  get grantedBytes(): number {
    return Atomics.load(this.slots, GRANTED) * PAGE_BYTES;
  }
}

/**
 * Default budget of every pool that does not set `totalMemoryBytes`: room for about two sessions
 * at the default 64 MiB limit (84 MiB of instance memory each) to be full at once, the rest
 * getting `MemoryError`.
 */
export const DEFAULT_TOTAL_MEMORY_BYTES = 192 * 1024 * 1024;

let processBudget: MemoryBudgetShare | undefined;

/**
 * The budget shared by every pool in this process that does not set one of its own: process
 * memory is what the limit protects, and engines each make their own pool.
 */
export function processMemoryBudget(): MemoryBudgetShare {
  processBudget ??= newMemoryBudget(DEFAULT_TOTAL_MEMORY_BYTES);
  return processBudget;
}
