/**
 * One sandbox session inside a worker: a QuickJS runtime and context in a WebAssembly instance
 * of its own (see quickjs-instance.ts), the injected globals, and the per-block limits. Runs
 * synchronously on the worker thread.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { formatBytes } from "../format-bytes.ts";
import { PRELUDE_SOURCE } from "./prelude.ts";
import type { HostFunctionName, ResolvedLimits, RunOutcome, StopReason } from "./protocol.ts";
import type { QuickJSInstance } from "./quickjs-instance.ts";
import { BlockSyntaxError, transformBlock } from "./transform.ts";

/** Blocking bridge to the host; returns the reply JSON. */
export type HostBridge = (requestId: number, fn: HostFunctionName, argsJson: string) => string;

/** Whether the pool asked to stop request `requestId`, and why. */
export type StopCheck = (requestId: number) => StopReason | undefined;

/** Max QuickJS stack (bytes). The worker thread gets a larger native stack than this needs. */
const MAX_STACK_BYTES = 1024 * 1024;
/** How often (ms of execution) the interrupt handler may measure the heap. */
const MEMORY_CHECK_INTERVAL_MS = 10;
/** Longest gap (ms of execution) between two heap measurements once memory has grown. */
const MAX_MEMORY_CHECK_GAP_MS = 100;
/**
 * The allocator's cost per allocation beyond what QuickJS counts (a chunk header and alignment
 * in emscripten's dlmalloc): measured as ~24 bytes over 2 million small promise objects.
 */
const ALLOCATION_OVERHEAD_BYTES = 24;
/**
 * After a block, a heap fuller than this share of the limit means the block ran out of memory
 * (even if its code caught the error): what it declared is cleared, and if that is not enough
 * the session starts over, so a caught out-of-memory error cannot keep the memory.
 */
const PRESSURE_THRESHOLD = 0.75;

/** Most queued jobs a stopped block may leave that are drained (see discardPendingJobs). */
const MAX_DISCARDED_JOBS = 10_000;
/** Execution time (ms) an internal helper such as getVar may take (guest getters, toJSON). */
const INTERNAL_CALL_MS = 2_000;
/** A bare `null` thrown with a heap fuller than this share of the limit is taken as out of memory. */
const NULL_THROW_SHARE = 0.25;
/**
 * A bare `null` thrown by a session whose instance's memory has grown by this share of the limit
 * is taken as out of memory too: a failed allocation inside `JSON.parse` of millions of objects
 * leaves it with nothing (the half-built value is freed before the block ends), but the memory
 * it grew to while building stays (WebAssembly memory never shrinks).
 */
const NULL_THROW_GROWTH_SHARE = 0.5;

type InterruptReason = "timeout" | "memory" | StopReason;

export class SandboxVm {
  private readonly instance: QuickJSInstance;
  private readonly contextJson: string | undefined;
  private readonly limits: ResolvedLimits;
  /**
   * The most characters of JSON one host call's arguments may hold: the largest call the limits
   * allow (a full batch of the longest prompts, or a query with the largest filter), at 6
   * characters for each (JSON's longest escape, \u0000), plus room for the punctuation.
   */
  private readonly maxArgsChars: number;
  private readonly hostBridge: HostBridge;
  private readonly stopCheck: StopCheck;
  /** WebAssembly memory size (bytes) at which the heap is worth measuring during a block. */
  private readonly measureAbove: number;
  /** Bytes of WebAssembly memory the instance had when this session started on it. */
  private readonly baseWasmBytes: number;

  private runtime!: QuickJSRuntime;
  private context!: QuickJSContext;
  private internals!: QuickJSHandle;

  // Per-request state, read by the interrupt handler.
  private requestId = 0;
  private deadline = Number.POSITIVE_INFINITY;
  private nextMemoryCheck = 0;
  private interruptReason: InterruptReason | undefined;
  /**
   * Set once a block was stopped mid-execution or ran out of memory: QuickJS may hold objects
   * its JS_FreeRuntime aborts on, so the runtime is never freed (see dispose).
   */
  dirty = false;
  /** Set when the runtime needed a reset it could not get in this instance (see reset). */
  needsNewInstance = false;
  /** True while an internal helper (getVar, listVars, setVar) runs: host calls are refused. */
  private internal = false;

  // Per-block output state.
  private outputParts: string[] = [];
  private outputLength = 0;
  private droppedChars = 0;
  private finalValue: string | undefined;

  constructor(
    instance: QuickJSInstance,
    contextJson: string | undefined,
    limits: ResolvedLimits,
    hostBridge: HostBridge,
    stopCheck: StopCheck,
  ) {
    this.instance = instance;
    this.contextJson = contextJson;
    this.limits = limits;
    this.maxArgsChars =
      6 *
        Math.max(
          Math.min(limits.maxBatchSize * limits.maxPromptChars, limits.maxBatchChars),
          limits.maxPromptChars,
          limits.maxQueryChars + limits.maxFilterChars,
        ) +
      4 * limits.maxBatchSize +
      1024;
    this.hostBridge = hostBridge;
    this.stopCheck = stopCheck;
    this.baseWasmBytes = instance.memory.buffer.byteLength;
    this.measureAbove = this.baseWasmBytes + limits.memoryBytes / 2;
    this.boot();
  }

  /** Bytes of WebAssembly memory this session's instance has grown to. */
  get wasmBytes(): number {
    return this.instance.memory.buffer.byteLength;
  }

  /** Creates the runtime and context and evaluates the prelude. */
  private boot(): void {
    const runtime = this.instance.module.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(() => this.shouldInterrupt());
    const context = runtime.newContext();
    this.runtime = runtime;
    this.context = context;

    const host = context.newFunction("host", (fnHandle, argsHandle) => {
      const fn = context.getString(fnHandle) as HostFunctionName;
      if (this.internal) {
        // Guest code reached from reading a variable (a toJSON, a getter): it may not reach out.
        return context.newString(
          JSON.stringify({
            ok: false,
            name: "Error",
            message: `${fn} cannot be called while a variable is being read`,
          }),
        );
      }
      if (this.finalValue !== undefined) {
        // FINAL() is caught by code that goes on: the block's answer is given, nothing more goes out.
        return context.newString(
          JSON.stringify({
            ok: false,
            name: "Error",
            message: `${fn} cannot be called after FINAL(): the block's answer is already given`,
          }),
        );
      }
      // Measured before the text is copied out of QuickJS: the prelude writes these arguments
      // itself, so only code that got around it could send more.
      const lengthHandle = context.getProp(argsHandle, "length");
      const length = context.getNumber(lengthHandle);
      lengthHandle.dispose();
      if (!(length <= this.maxArgsChars)) {
        return context.newString(
          JSON.stringify({
            ok: false,
            name: "RangeError",
            message: `${fn}: the arguments are ${length} characters, more than any call may send (${this.maxArgsChars})`,
          }),
        );
      }
      const argsJson = context.getString(argsHandle);
      const started = performance.now();
      const replyJson = this.hostBridge(this.requestId, fn, argsJson);
      // Waiting for the host is not execution time (the wall-time limit covers it instead).
      this.deadline += performance.now() - started;
      return context.newString(replyJson);
    });
    const out = context.newFunction("out", (textHandle, lengthHandle) => {
      // JSON strings from the prelude: a raw string would arrive cut at its first NUL.
      this.appendOutput(JSON.parse(context.getString(textHandle)) as string, context.getNumber(lengthHandle));
    });
    const final = context.newFunction("final", (textHandle) => {
      const text = JSON.parse(context.getString(textHandle)) as string;
      // The prelude refuses longer answers; this holds even if model code got around it.
      this.finalValue =
        text.length > this.limits.maxFinalChars ? text.slice(0, this.limits.maxFinalChars) : text;
    });
    context.setProp(context.global, "__dr_host", host);
    context.setProp(context.global, "__dr_out", out);
    context.setProp(context.global, "__dr_final", final);
    host.dispose();
    out.dispose();
    final.dispose();

    this.beginRequest(0);
    const setup = context.unwrapResult(context.evalCode(PRELUDE_SOURCE, "prelude.js"));
    const contextArg =
      this.contextJson === undefined ? context.undefined : context.newString(this.contextJson);
    const limitsArg = context.newString(JSON.stringify(this.limits));
    const result = context.callFunction(setup, context.undefined, contextArg, limitsArg);
    if (this.contextJson !== undefined) contextArg.dispose();
    limitsArg.dispose();
    setup.dispose();
    this.endRequest();
    this.internals = context.unwrapResult(result);
  }

  /**
   * Frees the runtime. Returns a description of what went wrong if QuickJS failed doing so
   * (a live handle makes its `JS_FreeRuntime` assertion abort the instance): that is a bug in
   * this file, reported by the pool. The instance itself is dropped either way.
   */
  dispose(): string | undefined {
    // A block stopped in the middle of queued promise jobs can leave QuickJS objects that
    // JS_FreeRuntime finds alive (and aborts on). Such a runtime is not freed: its whole
    // instance is dropped with the session, and the pool terminates the worker.
    if (this.dirty || this.runtime.hasPendingJob()) {
      this.dirty = true;
      return undefined;
    }
    try {
      this.internals.dispose();
      this.context.dispose();
      this.runtime.dispose();
      return undefined;
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }

  /** Gives the instance's memory growth back to the shared budget; the session is gone. */
  releaseInstance(): void {
    this.instance.release();
  }

  private beginRequest(requestId: number): void {
    this.requestId = requestId;
    this.deadline = performance.now() + this.limits.timeoutMs;
    this.nextMemoryCheck = 0;
    this.interruptReason = undefined;
  }

  private endRequest(): void {
    this.deadline = Number.POSITIVE_INFINITY;
  }

  private shouldInterrupt(): boolean {
    if (this.interruptReason !== undefined) return true;
    if (this.requestId !== 0) {
      const stop = this.stopCheck(this.requestId);
      if (stop !== undefined) {
        this.interruptReason = stop;
        return true;
      }
    }
    const now = performance.now();
    if (now > this.deadline) {
      this.interruptReason = "timeout";
      return true;
    }
    // Stops a block whose heap, allocator bookkeeping included, passes the limit, before the
    // instance's capped memory runs out under QuickJS (see heapBytes). Measuring walks the heap,
    // so it runs only once memory has grown, spaced out to cost ~5% of the time but never more
    // than MAX_MEMORY_CHECK_GAP_MS apart (a fast-growing heap gains ~8 MiB in that time; the
    // instance has INSTANCE_OVERHEAD_BYTES of room above the limit).
    if (now >= this.nextMemoryCheck && this.wasmBytes > this.measureAbove) {
      const bytes = this.heapBytes();
      const cost = performance.now() - now;
      this.nextMemoryCheck =
        now + Math.min(MAX_MEMORY_CHECK_GAP_MS, Math.max(MEMORY_CHECK_INTERVAL_MS, cost * 20));
      if (bytes > this.limits.memoryBytes) {
        this.interruptReason = "memory";
        return true;
      }
    }
    return false;
  }

  /**
   * Bytes this runtime's heap takes from its instance's memory: what QuickJS accounts for its
   * objects plus the allocator's bookkeeping for each allocation, which QuickJS does not count.
   * Millions of small objects (an endless promise chain) fill the instance's capped memory at
   * well under half of QuickJS's own figure, and allocations failing there, outside QuickJS's
   * own limit, can crash the runtime instead of throwing.
   */
  private heapBytes(): number {
    let usage: QuickJSHandle | undefined;
    try {
      usage = this.runtime.computeMemoryUsage();
      const dumped = this.context.dump(usage) as {
        memory_used_size?: unknown;
        malloc_count?: unknown;
      } | null;
      // No number means the report itself could not be built: no memory was left for it.
      if (typeof dumped?.memory_used_size !== "number") return this.heapCeiling();
      const allocations = typeof dumped.malloc_count === "number" ? dumped.malloc_count : 0;
      return dumped.memory_used_size + allocations * ALLOCATION_OVERHEAD_BYTES;
    } catch {
      return this.heapCeiling();
    } finally {
      usage?.dispose();
    }
  }

  /**
   * What the heap takes at most when it cannot be measured: the instance's memory above what it
   * started with. The measurement fails when no memory is left, which is either this heap filling
   * its instance or the shared budget (`totalMemoryBytes`) refusing the instance more pages while
   * other sessions hold them; in the second case this bound is small, so the session is not
   * cleared or reset for memory that other sessions hold.
   */
  private heapCeiling(): number {
    return Math.max(0, this.wasmBytes - this.baseWasmBytes);
  }

  /**
   * Whether the heap holds more than `share` of the limit. Measuring walks the heap, so unless
   * `suspect` (the block failed) it is only done once the instance's memory has grown a lot.
   */
  private underPressure(share: number, suspect: boolean): boolean {
    if (!suspect && this.wasmBytes <= this.measureAbove) return false;
    return this.heapBytes() > this.limits.memoryBytes * share;
  }

  /** Adds one printed line. `text` may arrive cut by the prelude; `fullLength` is what was printed. */
  private appendOutput(text: string, fullLength: number): void {
    const lineLength = Math.max(text.length, Number.isFinite(fullLength) ? fullLength : 0) + 1;
    const room = this.limits.maxOutputChars - this.outputLength;
    if (this.droppedChars === 0 && room >= lineLength) {
      this.outputParts.push(`${text}\n`);
      this.outputLength += lineLength;
      return;
    }
    if (this.droppedChars === 0 && room > 0) {
      this.outputParts.push(`${text}\n`.slice(0, room));
      this.outputLength += room;
      this.droppedChars += lineLength - room;
      return;
    }
    this.droppedChars += lineLength;
  }

  private takeOutput(): { output: string; truncated: boolean } {
    let output = this.outputParts.join("");
    const truncated = this.droppedChars > 0;
    if (truncated) {
      output = `${output}${output.endsWith("\n") || output === "" ? "" : "\n"}[output truncated: ${this.droppedChars} more characters]`;
    } else if (output.endsWith("\n")) {
      output = output.slice(0, -1);
    }
    this.outputParts = [];
    this.outputLength = 0;
    this.droppedChars = 0;
    return { output, truncated };
  }

  /** Runs one block of model code. Never throws for faults of the code itself. */
  run(code: string, requestId: number): RunOutcome {
    this.finalValue = undefined;
    const refusalsBefore = this.instance.budgetRefusals;
    let transformed: string;
    let declaredNames: string[];
    try {
      ({ code: transformed, declaredNames } = transformBlock(code));
    } catch (error) {
      if (error instanceof BlockSyntaxError) return { output: "", error: error.message };
      throw error;
    }

    const context = this.context;
    this.beginRequest(requestId);
    let thrown: { text: string; uninformative: boolean } | undefined;
    try {
      const evaluated = context.evalCode(transformed, "block.js");
      if (evaluated.error) {
        thrown = this.describeError(evaluated.error);
        evaluated.error.dispose();
      } else {
        const promise = evaluated.value;
        thrown = this.drain(promise);
        promise.dispose();
      }
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      return this.abandon();
    } finally {
      this.endRequest();
    }
    // A stop during a host call may end the block (the call throws) before the interrupt
    // handler runs: it is still a stop.
    if (this.interruptReason === undefined) {
      const stop = this.stopCheck(requestId);
      if (stop !== undefined) this.interruptReason = stop;
    }

    const reason = this.interruptReason;
    // Jobs a stopped block left queued must not resume inside the next block.
    if (reason !== undefined) {
      if (this.runtime.hasPendingJob()) this.discardPendingJobs();
      // QuickJS stopped mid-execution (inside promise jobs in particular) can keep objects its
      // JS_FreeRuntime would abort on: this runtime is not freed (see dispose).
      this.dirty = true;
    }
    let errorText = thrown?.text;
    let limit: RunOutcome["limit"];
    const outOfMemory =
      reason === "memory" ||
      (errorText !== undefined && /out of memory/i.test(errorText)) ||
      // QuickJS throws a bare `null` when it cannot even allocate the error object; a failed
      // large allocation (a Map or array doubling its storage) can leave the heap half full.
      (thrown?.uninformative === true &&
        (this.heapCeiling() >= this.limits.memoryBytes * NULL_THROW_GROWTH_SHARE ||
          this.underPressure(NULL_THROW_SHARE, true)));
    const budgetRefused = this.instance.budgetRefusals > refusalsBefore;
    // QuickJS out of memory mid-execution (its own limit, or the shared budget refusing pages)
    // can leave objects that freeing the runtime aborts on.
    if (outOfMemory || budgetRefused) this.dirty = true;
    if (outOfMemory || (budgetRefused && errorText !== undefined)) {
      limit = "memory";
      errorText = budgetRefused
        ? "MemoryError: block ran out of memory and was stopped: the memory all sandboxes share is in use by other queries' blocks (this session's own limit is " +
          `${formatBytes(this.limits.memoryBytes)}); use less memory, or try again later`
        : `MemoryError: block exceeded the sandbox memory limit (${formatBytes(this.limits.memoryBytes)}) and was stopped`;
    } else if (reason === "timeout") {
      limit = "timeout";
      errorText = `TimeoutError: block exceeded ${this.limits.timeoutMs} ms of execution time and was stopped`;
    } else if (reason === "wall-time") {
      limit = "timeout";
      errorText = `TimeoutError: block exceeded its wall-time limit of ${this.limits.wallTimeoutMs} ms (time spent waiting on searchDb/llmQuery counts) and was stopped`;
    } else if (reason === "abort") {
      errorText = "AbortError: the block was aborted";
    }
    // Whatever ended the block, a nearly full heap (say, out-of-memory errors that the code
    // caught) is given back now rather than carried into the next block.
    const failed = errorText !== undefined;
    // Measured against this session's own limit only: a block the shared budget refused memory
    // (other sessions hold it) keeps every variable; its next blocks get room as they give it back.
    const pressed = this.underPressure(PRESSURE_THRESHOLD, failed);
    if (pressed) {
      if (!outOfMemory) {
        limit = "memory";
        const cause = errorText === undefined ? "" : ` (${errorText})`;
        errorText = `MemoryError: block filled the sandbox memory limit (${formatBytes(this.limits.memoryBytes)})${cause}`;
      }
      if (declaredNames.length > 0) {
        // Most often the block's own top-level array holds the memory: drop what it declared.
        this.clearGlobals(declaredNames);
        errorText += `. Variables declared by this block were cleared to free memory: ${declaredNames.join(", ")}`;
      }
      if (this.underPressure(PRESSURE_THRESHOLD, true)) {
        // What is left would make every next block fail: start over with an empty heap.
        this.reset();
        errorText += ". The sandbox was reset to free memory: variables from earlier blocks are lost";
      }
    }

    const { output, truncated } = this.takeOutput();
    if (limit === undefined && truncated) limit = "output";
    const outcome: RunOutcome = { output };
    if (errorText !== undefined) outcome.error = errorText;
    if (this.finalValue !== undefined) outcome.final = this.finalValue;
    if (limit !== undefined) outcome.limit = limit;
    return outcome;
  }

  /**
   * The outcome of a block that overflowed the WebAssembly stack inside QuickJS's own C code (a
   * native recursion the interrupt handler never sees: `JSON.stringify` or a structured clone of
   * a value nested tens of thousands deep). QuickJS was stopped half-way through an operation, so
   * its runtime can be neither reused nor freed (`JS_FreeRuntime` would abort on it): nothing in
   * it is touched again, and the worker moves the session to a fresh instance
   * ({@link needsNewInstance}). The model is told what happened and that its variables are gone.
   */
  private abandon(): RunOutcome {
    this.dirty = true;
    this.needsNewInstance = true;
    this.interruptReason = undefined;
    const { output } = this.takeOutput();
    return {
      output,
      error:
        "RangeError: block overflowed the sandbox's stack (a value or recursion nested too deeply, e.g. JSON.stringify of a deeply nested array) and was stopped. The sandbox was reset: variables from earlier blocks are lost",
    };
  }

  /**
   * Drops queued promise jobs: each runs with the interrupt forced on, so it stops at its first
   * interrupt check. A chain that re-queues itself faster than that is cut off after a bound.
   */
  private discardPendingJobs(): void {
    const saved = this.interruptReason;
    this.interruptReason = saved ?? "abort";
    try {
      for (let i = 0; i < MAX_DISCARDED_JOBS && this.runtime.hasPendingJob(); i++) {
        const result = this.runtime.executePendingJobs(1);
        if (result.error) result.error.dispose();
        else result.dispose();
      }
    } finally {
      this.interruptReason = saved;
    }
  }

  /**
   * A fresh runtime and context in the same instance (its memory stays capped). A runtime that
   * cannot be freed safely (see {@link dirty}) is left as it is and {@link needsNewInstance}
   * set: the worker then moves the session to a fresh instance ({@link successor}).
   */
  private reset(): void {
    if (!this.dirty) {
      const problem = this.dispose();
      if (problem === undefined) {
        this.boot();
        return;
      }
    }
    this.dirty = true;
    this.needsNewInstance = true;
  }

  /**
   * This session, empty, on `instance`: for a worker replacing an instance whose runtime could
   * not be reset. The successor is marked dirty so the pool retires the worker at session end;
   * until then what the old instance was charged stays counted in the shared budget (its memory
   * is only really freed when the garbage collector or the worker's exit gets to it).
   */
  successor(instance: QuickJSInstance): SandboxVm {
    const next = new SandboxVm(instance, this.contextJson, this.limits, this.hostBridge, this.stopCheck);
    next.dirty = true;
    return next;
  }

  /** The heap limit (bytes) of this session, for a successor's instance. */
  get memoryBytes(): number {
    return this.limits.memoryBytes;
  }

  /**
   * Sets the given globals to undefined (with some headroom, as the heap is full). Through the
   * API, not by evaluating code: QuickJS's compiler can abort the whole process (an assertion in
   * its label resolution) when an allocation fails mid-compile, and memory is what is short here.
   * A name that cannot be cleared is left; the reset that follows frees it if need be.
   */
  private clearGlobals(names: string[]): void {
    this.beginRequest(0);
    this.runtime.setMemoryLimit(Math.ceil(this.limits.memoryBytes * 1.25));
    try {
      const context = this.context;
      for (const name of names) {
        try {
          context.setProp(context.global, name, context.undefined);
        } catch {
          // Out of memory even for this: the reset check after this frees the heap.
        }
      }
      this.runtime.executePendingJobs().dispose();
    } finally {
      this.runtime.setMemoryLimit(this.limits.memoryBytes);
      this.endRequest();
    }
  }

  /** Runs pending jobs until the block's promise settles; returns what it threw, if anything. */
  private drain(promise: QuickJSHandle): { text: string; uninformative: boolean } | undefined {
    const context = this.context;
    for (;;) {
      const jobs = this.runtime.executePendingJobs();
      if (jobs.error) {
        const described = this.describeError(jobs.error);
        jobs.error.dispose();
        if (this.interruptReason !== undefined) {
          // Stopped inside a promise job: QuickJS can be left holding objects it would abort
          // on when the runtime is freed (see dispose).
          this.dirty = true;
          return described;
        }
        // A job failed outside the block's promise chain (e.g. an unawaited callback): the
        // block's own promise may still settle, so keep going.
      } else {
        jobs.dispose();
      }
      const state = context.getPromiseState(promise);
      if (state.type === "fulfilled") {
        if (!state.notAPromise) state.value.dispose();
        return undefined;
      }
      if (state.type === "rejected") {
        const signal = context.getProp(this.internals, "finalSignal");
        const isFinal = context.eq(state.error, signal);
        signal.dispose();
        const described =
          isFinal && this.finalValue !== undefined ? undefined : this.describeError(state.error);
        state.error.dispose();
        return described;
      }
      if (!this.runtime.hasPendingJob()) {
        // The block's async frame stays suspended for ever; QuickJS would find it alive when the
        // runtime is freed, so this runtime is not freed (see dispose).
        this.dirty = true;
        return {
          text: "Error: the block awaited a promise that never settles (timers and I/O do not exist in the sandbox)",
          uninformative: false,
        };
      }
    }
  }

  private describeError(errorHandle: QuickJSHandle): { text: string; uninformative: boolean } {
    if (this.interruptReason !== undefined)
      return { text: `InternalError: interrupted (${this.interruptReason})`, uninformative: false };
    const context = this.context;
    let parsed: { name: string; message: string; stack: string; bare?: boolean } | undefined;
    // Reading the error runs guest code (getters): do it with a fresh, short deadline.
    // After an out-of-memory error, describing it needs a little headroom.
    const savedDeadline = this.deadline;
    this.deadline = performance.now() + Math.min(1000, this.limits.timeoutMs);
    this.runtime.setMemoryLimit(Math.ceil(this.limits.memoryBytes * 1.25));
    try {
      const fn = context.getProp(this.internals, "describeError");
      const result = context.callFunction(fn, this.internals, errorHandle);
      fn.dispose();
      if (result.error) {
        result.error.dispose();
      } else {
        parsed = JSON.parse(context.getString(result.value));
        result.value.dispose();
      }
    } catch {
      parsed = undefined;
    } finally {
      this.deadline = savedDeadline;
      this.runtime.setMemoryLimit(this.limits.memoryBytes);
    }
    if (parsed === undefined)
      return { text: "Error: the block threw a value that could not be described", uninformative: true };
    let text = parsed.message === "" ? parsed.name : `${parsed.name}: ${parsed.message}`;
    const line = /\(block\.js:(\d+)(?::\d+)?\)/.exec(parsed.stack)?.[1];
    if (line !== undefined) text += ` (line ${line})`;
    if (/stack overflow/i.test(parsed.message)) text += " — too much recursion";
    return { text, uninformative: parsed.bare === true };
  }

  listVars(requestId: number): string[] {
    return JSON.parse(this.callInternal(requestId, "listVars") ?? "[]") as string[];
  }

  getVar(requestId: number, name: string): string | undefined {
    // A JSON string from the prelude (a raw one would arrive cut at its first NUL).
    const json = this.callInternal(requestId, "getVar", name);
    return json === undefined ? undefined : (JSON.parse(json) as string);
  }

  setVar(requestId: number, name: string, json: string): void {
    this.callInternal(requestId, "setVar", name, json);
  }

  /**
   * Calls an internal helper with string arguments; returns its string result. Reading a
   * variable can run guest code (toJSON, toString, getters): it gets a short deadline and no
   * host calls, so FINAL_VAR cannot be used to run a loop of model calls.
   * @throws Error with the guest error's text.
   */
  private callInternal(requestId: number, method: string, ...args: string[]): string | undefined {
    const context = this.context;
    this.beginRequest(requestId);
    this.deadline = performance.now() + Math.min(this.limits.timeoutMs, INTERNAL_CALL_MS);
    this.internal = true;
    const handles = args.map((arg) => context.newString(arg));
    const fn = context.getProp(this.internals, method);
    try {
      const result = context.callFunction(fn, this.internals, ...handles);
      if (result.error) {
        const { text } = this.describeError(result.error);
        result.error.dispose();
        throw new Error(text);
      }
      const value = result.value;
      const text = context.typeof(value) === "string" ? context.getString(value) : undefined;
      value.dispose();
      return text;
    } finally {
      this.internal = false;
      fn.dispose();
      for (const handle of handles) handle.dispose();
      this.endRequest();
    }
  }
}

/** V8's error for a stack overflow, here one inside QuickJS's WebAssembly code. */
function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /maximum call stack size exceeded/i.test(error.message);
}
