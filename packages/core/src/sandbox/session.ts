/**
 * One query's REPL on the main thread: it holds a worker of its own for its whole life (taken
 * from the pool when its first request needs one, which may mean waiting while the pool's cap on
 * workers is reached) and moves to a fresh worker if that one dies, telling the model its
 * variables are gone.
 */

import { getErrorMessage } from "../errors/get-error-message.ts";
import { SandboxError } from "../errors.ts";
import type { DisposeReport, ResolvedLimits, RunOutcome } from "./protocol.ts";
import { type SandboxWorker, WorkerDiedError, type WorkerExit } from "./sandbox-worker.ts";
import type { BlockResult, SandboxHost, SandboxSession } from "./types.ts";
import { type SlotClaim, SlotWaitAbortedError } from "./worker-slots.ts";

/** What a session needs from its pool. */
export interface WorkerLender {
  readonly closed: boolean;
  /**
   * A started worker with no session, held for one with `claim` (default: top level, waiting on
   * no nested session); waits (in line) while the cap on workers is reached, or while taking one
   * would leave too few for the nested levels the claim reserves (see WorkerSlots).
   * @throws SlotWaitAbortedError when `signal` fires while waiting; SandboxError when no worker
   *   can be started.
   */
  acquire(signal?: AbortSignal, claim?: SlotClaim): Promise<SandboxWorker>;
  /**
   * Takes back a worker whose session was disposed: reuses it, or terminates it and resolves once
   * the thread has exited (its memory is then given back).
   */
  release(worker: SandboxWorker, report: DisposeReport): Promise<void>;
  /** Terminates a worker whose state is unknown; resolves once it has exited. */
  discard(worker: SandboxWorker): Promise<void>;
  /** The session ended (disposed): for the pool's count of live sessions. */
  forget(session: PooledSession): void;
  /** Most workers alive at once (for messages). */
  readonly maxWorkers: number;
}

const ABORT_MESSAGE = "AbortError: the block was aborted";

/** A wait for a worker that ran out of time: the caller's wall-time limit passed first. */
class WorkerWaitTimeoutError extends SandboxError {}

/** A worker being attached to a session, and how many callers still wait for it. */
interface Attaching {
  done: Promise<void>;
  /** Ends the wait in line (when every caller gave up, or the session is disposed). */
  cancel: AbortController;
  callers: number;
}

export class PooledSession implements SandboxSession {
  readonly host: SandboxHost;
  readonly limits: ResolvedLimits;
  private readonly contextJson: string | undefined;
  private readonly lender: WorkerLender;
  /** How it claims a worker slot (see WorkerSlots); undefined: top level. */
  private readonly claim: SlotClaim | undefined;
  private worker: SandboxWorker | undefined;
  private attaching: Attaching | undefined;
  private disposed = false;
  /** Told to the model as its next block result (its worker died while no block ran). */
  private notice: string | undefined;

  constructor(
    lender: WorkerLender,
    host: SandboxHost,
    contextJson: string | undefined,
    limits: ResolvedLimits,
    claim?: SlotClaim,
  ) {
    this.lender = lender;
    this.claim = claim;
    this.host = host;
    this.contextJson = contextJson;
    this.limits = limits;
  }

  /** Called by the pool when this session's worker went away without being asked to. */
  lost(exit: WorkerExit, duringRun: boolean): void {
    this.worker = undefined;
    if (!duringRun) {
      this.notice = `SandboxError: ${exit.cause}; variables from earlier blocks are lost. Define what you need again and re-run.`;
    }
  }

  /**
   * The session's worker, taken from the pool (and the QuickJS context created) when there is
   * none. Taking one may wait while the pool's cap on workers is reached: until `deadline`
   * (a `performance.now()` time) or `signal`, whichever comes first. A caller that gives up
   * leaves; the wait itself ends once no caller is left.
   * @throws SlotWaitAbortedError (signal), WorkerWaitTimeoutError (deadline), SandboxError.
   */
  async ensureWorker(options: { signal?: AbortSignal; deadline: number }): Promise<SandboxWorker> {
    for (;;) {
      if (this.disposed) throw new SandboxError("the sandbox session was disposed");
      if (this.worker !== undefined && !this.worker.dead) return this.worker;
      const current = this.attaching;
      if (current?.cancel.signal.aborted === true) {
        // Given up by its callers, but it may have got a worker already: let it settle first, so
        // a session never takes two.
        await current.done.catch(() => {});
        continue;
      }
      const attaching = current ?? this.startAttach();
      try {
        await this.joinAttach(attaching, options);
      } catch (error) {
        // A wait that the callers before this one gave up on (not this caller's own signal): wait anew.
        if (error instanceof SlotWaitAbortedError && options.signal?.aborted !== true && !this.disposed)
          continue;
        throw error;
      }
    }
  }

  private startAttach(): Attaching {
    const cancel = new AbortController();
    const attaching: Attaching = { cancel, callers: 0, done: Promise.resolve() };
    attaching.done = this.attach(cancel.signal).finally(() => {
      if (this.attaching === attaching) this.attaching = undefined;
    });
    attaching.done.catch(() => {});
    this.attaching = attaching;
    return attaching;
  }

  /** Waits for `attaching` until the caller's signal or deadline; the last caller to leave cancels it. */
  private async joinAttach(
    attaching: Attaching,
    options: { signal?: AbortSignal; deadline: number },
  ): Promise<void> {
    const { signal, deadline } = options;
    attaching.callers += 1;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        attaching.done,
        new Promise<never>((_, reject) => {
          const giveUp = (error: Error) => reject(error);
          timer = setTimeout(
            () => giveUp(new WorkerWaitTimeoutError("timed out waiting for a sandbox worker")),
            Math.max(0, deadline - performance.now()),
          );
          if (signal !== undefined) {
            onAbort = () => giveUp(new SlotWaitAbortedError("the wait was aborted"));
            if (signal.aborted) onAbort();
            else signal.addEventListener("abort", onAbort, { once: true });
          }
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
      attaching.callers -= 1;
      if (attaching.callers === 0 && this.worker === undefined) attaching.cancel.abort();
    }
  }

  private async attach(signal: AbortSignal): Promise<void> {
    const worker = await this.lender.acquire(signal, this.claim);
    if (this.disposed) {
      // Disposed while the worker was on its way: it never hosted anything.
      await this.lender.release(worker, { wasmBytes: 0 });
      throw new SandboxError("the sandbox session was disposed");
    }
    worker.tenant = { host: this.host, limits: this.limits, session: this };
    try {
      await worker.request({ type: "create", contextJson: this.contextJson, limits: this.limits });
    } catch (error) {
      worker.tenant = undefined;
      await this.lender.discard(worker);
      throw SandboxError.isInstance(error) ? error : new SandboxError(String(error), { cause: error });
    }
    this.worker = worker;
  }

  /** When a wait for a worker that starts now must end: the wall-time limit of one block. */
  private waitDeadline(from = performance.now()): number {
    return from + this.limits.wallTimeoutMs;
  }

  async run(code: string, options?: { signal?: AbortSignal }): Promise<BlockResult> {
    const started = performance.now();
    const done = (outcome: RunOutcome): BlockResult => ({
      ...outcome,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
    if (typeof code !== "string") throw new TypeError("run(code): code must be a string");
    if (this.lender.closed) throw new SandboxError("the sandbox pool was closed");
    const signal = options?.signal;
    if (signal?.aborted) return done({ output: "", error: ABORT_MESSAGE });
    // Waiting for a worker counts against the block's wall time.
    const deadline = this.waitDeadline(started);
    let worker: SandboxWorker;
    try {
      worker = await this.ensureWorker({ signal, deadline });
    } catch (error) {
      if (this.disposed) throw new SandboxError("the sandbox session was disposed", { cause: error });
      if (error instanceof SlotWaitAbortedError) return done({ output: "", error: ABORT_MESSAGE });
      if (error instanceof WorkerWaitTimeoutError) {
        return done({
          output: "",
          error:
            `TimeoutError: the block was not run: it waited ${this.limits.wallTimeoutMs} ms (its wall-time limit) for a sandbox, ` +
            `and all ${this.lender.maxWorkers} sandbox workers stayed in use by other code (other queries, or blocks waiting on nested llmQuery calls). Try again later, or answer with what you have.`,
          limit: "timeout",
        });
      }
      return done({
        output: "",
        error: `SandboxError: could not start the sandbox: ${getErrorMessage(error)}`,
      });
    }
    if (this.notice !== undefined) {
      const notice = this.notice;
      this.notice = undefined;
      return done({ output: "", error: notice });
    }
    try {
      const wallMs = Math.max(1, Math.ceil(deadline - performance.now()));
      return done((await worker.request({ type: "run", code }, signal, wallMs)) as RunOutcome);
    } catch (error) {
      if (error instanceof WorkerDiedError) return done({ output: "", error: error.message });
      if (this.disposed) throw error;
      return done({ output: "", error: `SandboxError: ${getErrorMessage(error)}` });
    }
  }

  async getVar(name: string): Promise<string | undefined> {
    assertName(name);
    try {
      const worker = await this.ensureWorker({ deadline: this.waitDeadline() });
      return (await worker.request({ type: "getVar", name })) as string | undefined;
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
      throw new SandboxError(`setVar(${name}): value is not JSON-serialisable: ${getErrorMessage(error)}`, {
        cause: error,
      });
    }
    if (json === undefined) throw new SandboxError(`setVar(${name}): value is not JSON-serialisable`);
    for (let attempt = 0; ; attempt++) {
      try {
        const worker = await this.ensureWorker({ deadline: this.waitDeadline() });
        await worker.request({ type: "setVar", name, json });
        return;
      } catch (error) {
        if (!(error instanceof WorkerDiedError) || attempt > 0) throw error;
      }
    }
  }

  async listVars(): Promise<string[]> {
    try {
      const worker = await this.ensureWorker({ deadline: this.waitDeadline() });
      return (await worker.request({ type: "listVars" })) as string[];
    } catch (error) {
      if (error instanceof WorkerDiedError) return [];
      throw error;
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // A wait for a worker ends now; one already on its way is given back by attach.
    const attaching = this.attaching;
    attaching?.cancel.abort();
    await attaching?.done.catch(() => {});
    const worker = this.worker;
    this.worker = undefined;
    try {
      if (worker === undefined || worker.dead) return;
      let report: DisposeReport;
      try {
        report = (await worker.request({ type: "dispose" })) as DisposeReport;
      } catch {
        // The worker died or refused: its state is unknown, so it is not reused.
        worker.tenant = undefined;
        await this.lender.discard(worker);
        return;
      }
      worker.tenant = undefined;
      await this.lender.release(worker, report);
    } finally {
      this.lender.forget(this);
    }
  }

  /** Test hook: run a block during which the worker crashes or hangs outside QuickJS. */
  async debugRun(action: "crash" | "hang", signal?: AbortSignal): Promise<BlockResult> {
    const started = performance.now();
    const worker = await this.ensureWorker({ deadline: this.waitDeadline(started) });
    let outcome: RunOutcome;
    try {
      outcome = (await worker.request({ type: "run", code: "", debug: action }, signal)) as RunOutcome;
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
