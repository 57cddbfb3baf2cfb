/**
 * One query's REPL on the main thread: it holds a worker of its own for its whole life (taken
 * from the pool when its first request needs one) and moves to a fresh worker if that one dies,
 * telling the model its variables are gone.
 */

import { getErrorMessage } from "../errors/get-error-message.ts";
import { SandboxError } from "../errors.ts";
import type { DisposeReport, ResolvedLimits, RunOutcome } from "./protocol.ts";
import { type SandboxWorker, WorkerDiedError, type WorkerExit } from "./sandbox-worker.ts";
import type { BlockResult, SandboxHost, SandboxSession } from "./types.ts";

/** What a session needs from its pool. */
export interface WorkerLender {
  readonly closed: boolean;
  /** A started worker with no session. @throws SandboxError when none can be started. */
  acquire(): Promise<SandboxWorker>;
  /** Takes back a worker whose session was disposed (it may reuse or terminate it). */
  release(worker: SandboxWorker, report: DisposeReport): void;
  /** Terminates a worker whose state is unknown. */
  discard(worker: SandboxWorker): void;
  /** The session ended (disposed): for the pool's count of live sessions. */
  forget(session: PooledSession): void;
}

const ABORT_MESSAGE = "AbortError: the block was aborted";

export class PooledSession implements SandboxSession {
  readonly host: SandboxHost;
  readonly limits: ResolvedLimits;
  private readonly contextJson: string | undefined;
  private readonly lender: WorkerLender;
  private worker: SandboxWorker | undefined;
  private attaching: Promise<void> | undefined;
  private disposed = false;
  /** Told to the model as its next block result (its worker died while no block ran). */
  private notice: string | undefined;

  constructor(
    lender: WorkerLender,
    host: SandboxHost,
    contextJson: string | undefined,
    limits: ResolvedLimits,
  ) {
    this.lender = lender;
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

  /** The session's worker, started (and the QuickJS context created) when there is none. */
  async ensureWorker(): Promise<SandboxWorker> {
    for (;;) {
      if (this.disposed) throw new SandboxError("the sandbox session was disposed");
      if (this.worker !== undefined && !this.worker.dead) return this.worker;
      this.attaching ??= this.attach().finally(() => {
        this.attaching = undefined;
      });
      await this.attaching;
    }
  }

  private async attach(): Promise<void> {
    const worker = await this.lender.acquire();
    worker.tenant = { host: this.host, limits: this.limits, session: this };
    try {
      await worker.request({ type: "create", contextJson: this.contextJson, limits: this.limits });
    } catch (error) {
      worker.tenant = undefined;
      this.lender.discard(worker);
      throw SandboxError.isInstance(error) ? error : new SandboxError(String(error), { cause: error });
    }
    this.worker = worker;
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
    let worker: SandboxWorker;
    try {
      worker = await this.ensureWorker();
    } catch (error) {
      if (this.disposed) throw error;
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
      return done((await worker.request({ type: "run", code }, signal)) as RunOutcome);
    } catch (error) {
      if (error instanceof WorkerDiedError) return done({ output: "", error: error.message });
      if (this.disposed) throw error;
      return done({ output: "", error: `SandboxError: ${getErrorMessage(error)}` });
    }
  }

  async getVar(name: string): Promise<string | undefined> {
    assertName(name);
    try {
      const worker = await this.ensureWorker();
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
        const worker = await this.ensureWorker();
        await worker.request({ type: "setVar", name, json });
        return;
      } catch (error) {
        if (!(error instanceof WorkerDiedError) || attempt > 0) throw error;
      }
    }
  }

  async listVars(): Promise<string[]> {
    try {
      const worker = await this.ensureWorker();
      return (await worker.request({ type: "listVars" })) as string[];
    } catch (error) {
      if (error instanceof WorkerDiedError) return [];
      throw error;
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.attaching?.catch(() => {});
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
        this.lender.discard(worker);
        return;
      }
      worker.tenant = undefined;
      this.lender.release(worker, report);
    } finally {
      this.lender.forget(this);
    }
  }

  /** Test hook: run a block during which the worker crashes or hangs outside QuickJS. */
  async debugRun(action: "crash" | "hang"): Promise<BlockResult> {
    const started = performance.now();
    const worker = await this.ensureWorker();
    let outcome: RunOutcome;
    try {
      outcome = (await worker.request({ type: "run", code: "", debug: action })) as RunOutcome;
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
