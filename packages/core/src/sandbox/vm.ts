/**
 * One sandbox session inside a worker: its own QuickJS runtime (own heap, own memory limit) and
 * context, the injected globals, and the per-block limits. Runs synchronously on the worker
 * thread; the pool never sends a worker two requests at once.
 */
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { PRELUDE_SOURCE } from "./prelude.ts";
import type { HostFunctionName, ResolvedLimits, RunOutcome } from "./protocol.ts";
import { BlockSyntaxError, transformBlock } from "./transform.ts";

/** Blocking bridge to the host; returns the reply JSON and how long the wait took. */
export type HostBridge = (
  requestId: number,
  fn: HostFunctionName,
  argsJson: string,
) => { replyJson: string; waitedMs: number };

/** Max QuickJS stack (bytes). The worker thread gets a larger native stack than this needs. */
const MAX_STACK_BYTES = 1024 * 1024;
/** How often (ms of execution) the interrupt handler measures heap usage. */
const MEMORY_CHECK_INTERVAL_MS = 10;
/** After a memory fault, a heap still fuller than this share of the limit is reset. */
const RESET_THRESHOLD = 0.75;

type InterruptReason = "timeout" | "memory" | "abort";

export class SandboxVm {
  private readonly module: QuickJSWASMModule;
  private readonly contextJson: string | undefined;
  private readonly limits: ResolvedLimits;
  private readonly hostBridge: HostBridge;
  private readonly abortRequested: (requestId: number, depth: number) => boolean;

  private runtime!: QuickJSRuntime;
  private context!: QuickJSContext;
  private internals!: QuickJSHandle;

  // Per-request state, read by the interrupt handler.
  private requestId = 0;
  private depth = 0;
  private deadline = Number.POSITIVE_INFINITY;
  private nextMemoryCheck = 0;
  private interruptReason: InterruptReason | undefined;

  // Per-block output state.
  private outputParts: string[] = [];
  private outputLength = 0;
  private droppedChars = 0;
  private finalValue: string | undefined;

  constructor(
    module: QuickJSWASMModule,
    contextJson: string | undefined,
    limits: ResolvedLimits,
    hostBridge: HostBridge,
    abortRequested: (requestId: number, depth: number) => boolean,
  ) {
    this.module = module;
    this.contextJson = contextJson;
    this.limits = limits;
    this.hostBridge = hostBridge;
    this.abortRequested = abortRequested;
    this.boot();
  }

  /** Creates the runtime and context and evaluates the prelude. */
  private boot(): void {
    const runtime = this.module.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(() => this.shouldInterrupt());
    const context = runtime.newContext();
    this.runtime = runtime;
    this.context = context;

    const host = context.newFunction("host", (fnHandle, argsHandle) => {
      const fn = context.getString(fnHandle) as HostFunctionName;
      const argsJson = context.getString(argsHandle);
      const { replyJson, waitedMs } = this.hostBridge(this.requestId, fn, argsJson);
      // Waiting for the host (and serving other sessions meanwhile) is not execution time.
      this.deadline += waitedMs;
      return context.newString(replyJson);
    });
    const out = context.newFunction("out", (textHandle) => {
      this.appendOutput(context.getString(textHandle));
    });
    const final = context.newFunction("final", (textHandle) => {
      this.finalValue = context.getString(textHandle);
    });
    context.setProp(context.global, "__dr_host", host);
    context.setProp(context.global, "__dr_out", out);
    context.setProp(context.global, "__dr_final", final);
    host.dispose();
    out.dispose();
    final.dispose();

    this.beginRequest(0, 0);
    const setup = context.unwrapResult(context.evalCode(PRELUDE_SOURCE, "prelude.js"));
    const contextArg =
      this.contextJson === undefined ? context.undefined : context.newString(this.contextJson);
    const result = context.callFunction(setup, context.undefined, contextArg);
    if (this.contextJson !== undefined) contextArg.dispose();
    setup.dispose();
    this.endRequest();
    this.internals = context.unwrapResult(result);
  }

  private teardown(): void {
    this.internals.dispose();
    this.context.dispose();
    this.runtime.dispose();
  }

  dispose(): void {
    this.teardown();
  }

  private beginRequest(requestId: number, depth: number): void {
    this.requestId = requestId;
    this.depth = depth;
    this.deadline = performance.now() + this.limits.timeoutMs;
    this.nextMemoryCheck = 0;
    this.interruptReason = undefined;
  }

  private endRequest(): void {
    this.deadline = Number.POSITIVE_INFINITY;
  }

  private shouldInterrupt(): boolean {
    if (this.interruptReason !== undefined) return true;
    if (this.requestId !== 0 && this.abortRequested(this.requestId, this.depth)) {
      this.interruptReason = "abort";
      return true;
    }
    const now = performance.now();
    if (now > this.deadline) {
      this.interruptReason = "timeout";
      return true;
    }
    if (now >= this.nextMemoryCheck) {
      // QuickJS's own malloc limit does not cover every allocation path (fast arrays grow
      // past it), so the heap is also measured while code runs.
      const bytes = this.heapBytes();
      // Measuring walks the heap: space the checks out so they cost at most ~5% of the time.
      const cost = performance.now() - now;
      this.nextMemoryCheck = now + Math.max(MEMORY_CHECK_INTERVAL_MS, cost * 20);
      if (bytes > this.limits.memoryBytes) {
        this.interruptReason = "memory";
        return true;
      }
    }
    return false;
  }

  /** Bytes in use by this runtime's heap, as QuickJS accounts them. */
  private heapBytes(): number {
    let usage: QuickJSHandle | undefined;
    try {
      usage = this.runtime.computeMemoryUsage();
      const dumped = this.context.dump(usage) as { memory_used_size?: number };
      return typeof dumped.memory_used_size === "number" ? dumped.memory_used_size : 0;
    } catch {
      // Could not even allocate the report: the heap is full.
      return Number.POSITIVE_INFINITY;
    } finally {
      usage?.dispose();
    }
  }

  private appendOutput(text: string): void {
    const line = `${text}\n`;
    const room = this.limits.maxOutputChars - this.outputLength;
    if (room >= line.length && this.droppedChars === 0) {
      this.outputParts.push(line);
      this.outputLength += line.length;
      return;
    }
    if (room > 0 && this.droppedChars === 0) {
      this.outputParts.push(line.slice(0, room));
      this.outputLength += room;
      this.droppedChars += line.length - room;
      return;
    }
    this.droppedChars += line.length;
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
  run(code: string, requestId: number, depth: number): RunOutcome {
    this.finalValue = undefined;
    let transformed: string;
    let declaredNames: string[];
    try {
      ({ code: transformed, declaredNames } = transformBlock(code));
    } catch (error) {
      if (error instanceof BlockSyntaxError) return { output: "", error: error.message };
      throw error;
    }

    const context = this.context;
    this.beginRequest(requestId, depth);
    let errorText: string | undefined;
    try {
      const evaluated = context.evalCode(transformed, "block.js");
      if (evaluated.error) {
        errorText = this.describeError(evaluated.error);
        evaluated.error.dispose();
      } else {
        const promise = evaluated.value;
        errorText = this.drain(promise);
        promise.dispose();
      }
    } finally {
      this.endRequest();
    }
    // An abort during a host call may end the block (the call throws) before the interrupt
    // handler runs: it is still an abort.
    if (this.interruptReason === undefined && this.abortRequested(requestId, depth))
      this.interruptReason = "abort";

    const reason = this.interruptReason;
    let limit: RunOutcome["limit"];
    if (reason === "timeout") {
      limit = "timeout";
      errorText = `TimeoutError: block exceeded ${this.limits.timeoutMs} ms of execution time and was stopped`;
    } else if (reason === "abort") {
      errorText = "AbortError: the block was aborted";
    } else if (reason === "memory" || (errorText !== undefined && /out of memory/i.test(errorText))) {
      limit = "memory";
      errorText = `MemoryError: block exceeded the sandbox memory limit (${formatBytes(this.limits.memoryBytes)}) and was stopped`;
      const threshold = this.limits.memoryBytes * RESET_THRESHOLD;
      if (declaredNames.length > 0 && this.heapBytes() > threshold) {
        // Most often the block's own top-level array holds the memory: drop what it declared.
        this.clearGlobals(declaredNames);
        errorText += `. Variables declared by this block were cleared to free memory: ${declaredNames.join(", ")}`;
      }
      if (this.heapBytes() > threshold) {
        // What is left would make every next block fail: start over with an empty heap.
        this.teardown();
        this.boot();
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

  /** Sets the given globals to undefined (with some headroom, as the heap is full). */
  private clearGlobals(names: string[]): void {
    this.beginRequest(0, 0);
    this.runtime.setMemoryLimit(Math.ceil(this.limits.memoryBytes * 1.25));
    try {
      const result = this.context.evalCode(
        `for (const n of ${JSON.stringify(names)}) globalThis[n] = undefined;`,
      );
      (result.error ?? result.value).dispose();
    } finally {
      this.runtime.setMemoryLimit(this.limits.memoryBytes);
      this.endRequest();
    }
  }

  /** Runs pending jobs until the block's promise settles; returns the error text, if any. */
  private drain(promise: QuickJSHandle): string | undefined {
    const context = this.context;
    for (;;) {
      const jobs = this.runtime.executePendingJobs();
      if (jobs.error) {
        const text = this.describeError(jobs.error);
        jobs.error.dispose();
        if (this.interruptReason !== undefined) return text;
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
        const text = isFinal && this.finalValue !== undefined ? undefined : this.describeError(state.error);
        state.error.dispose();
        return text;
      }
      if (!this.runtime.hasPendingJob()) {
        return "Error: the block awaited a promise that never settles (timers and I/O do not exist in the sandbox)";
      }
    }
  }

  private describeError(errorHandle: QuickJSHandle): string {
    if (this.interruptReason !== undefined) return `InternalError: interrupted (${this.interruptReason})`;
    const context = this.context;
    let parsed: { name: string; message: string; stack: string } | undefined;
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
    if (parsed === undefined) return "Error: the block threw a value that could not be described";
    let text = parsed.message === "" ? parsed.name : `${parsed.name}: ${parsed.message}`;
    const line = /\(block\.js:(\d+)(?::\d+)?\)/.exec(parsed.stack)?.[1];
    if (line !== undefined) text += ` (line ${line})`;
    if (/stack overflow/i.test(parsed.message)) text += " — too much recursion";
    return text;
  }

  listVars(requestId: number, depth: number): string[] {
    return JSON.parse(this.callInternal(requestId, depth, "listVars") ?? "[]") as string[];
  }

  getVar(requestId: number, depth: number, name: string): string | undefined {
    return this.callInternal(requestId, depth, "getVar", name);
  }

  setVar(requestId: number, depth: number, name: string, json: string): void {
    this.callInternal(requestId, depth, "setVar", name, json);
  }

  /** Calls an internal helper with string arguments; returns its string result. */
  private callInternal(
    requestId: number,
    depth: number,
    method: string,
    ...args: string[]
  ): string | undefined {
    const context = this.context;
    this.beginRequest(requestId, depth);
    const handles = args.map((arg) => context.newString(arg));
    const fn = context.getProp(this.internals, method);
    try {
      const result = context.callFunction(fn, this.internals, ...handles);
      if (result.error) {
        const text = this.describeError(result.error);
        result.error.dispose();
        throw new Error(text);
      }
      const value = result.value;
      const text = context.typeof(value) === "string" ? context.getString(value) : undefined;
      value.dispose();
      return text;
    } finally {
      fn.dispose();
      for (const handle of handles) handle.dispose();
      this.endRequest();
    }
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 102.4) / 10} KiB`;
  return `${bytes} bytes`;
}
