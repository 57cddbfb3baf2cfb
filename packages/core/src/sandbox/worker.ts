/**
 * Sandbox worker thread: hosts at most one session at a time (see protocol.ts). Between
 * requests it waits with `Atomics.waitAsync`, so its event loop can prepare the QuickJS instance
 * for the next session; while a block runs it blocks in `Atomics.wait`, so host calls look
 * synchronous to model code. `worker.terminate()` interrupts both, so the pool can always stop it.
 * Model code never sees anything from this file: it only reaches the QuickJS globals the prelude
 * defines.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { getErrorMessage } from "../errors/get-error-message.ts";
import { MemoryBudget } from "./memory-budget.ts";
import {
  CTRL_HELD_PAGES,
  CTRL_MAIL,
  CTRL_POSTED,
  CTRL_STOP_ID,
  CTRL_STOP_REASON,
  type DisposeReport,
  type HostFunctionName,
  type HostReplyEnvelope,
  STOP_ABORT,
  STOP_WALL_TIME,
  type StopReason,
  type WorkerMessage,
  type WorkerRequest,
} from "./protocol.ts";
import { type GrowthAccount, newQuickJSInstance, type QuickJSInstance, Wasm } from "./quickjs-instance.ts";
import type { WorkerStartData } from "./sandbox-worker.ts";
import { SandboxVm } from "./vm.ts";

if (parentPort === null) throw new Error("sandbox worker must run in a worker thread");
const port = parentPort;
const init = workerData as WorkerStartData;
const ctrl = new Int32Array(init.ctrl);
const { requestPort, replyPort } = init;

/**
 * Fallback poll interval while blocked on a host call. A post is visible on its port before the
 * pool bumps CTRL_MAIL, so this only matters if that ordering ever failed.
 */
const POLL_MS = 50;
/** Same, between requests. */
const IDLE_POLL_MS = 1_000;

/** `Atomics.waitAsync` (ES2024; the project's `lib` is ES2023). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { value: Promise<string> | string };
  }
).waitAsync;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

const printErr = (text: string): void => send({ type: "stderr", text: String(text) });

/** Every instance's growth is taken from the budget all sessions share (see memory-budget.ts). */
const account: GrowthAccount = {
  budget: new MemoryBudget(init.memoryBudget),
  held: (pages) => Atomics.add(ctrl, CTRL_HELD_PAGES, pages),
};

/** The instance for the next session, made while the worker is idle. */
let spare: { heapBytes: number; instance: Promise<QuickJSInstance> } | undefined;
let vm: SandboxVm | undefined;

function prepareSpare(): void {
  const instance = newQuickJSInstance(init.defaultMemoryBytes, printErr, account);
  instance.catch(() => {});
  spare = { heapBytes: init.defaultMemoryBytes, instance };
}

function hostBridge(requestId: number, fn: HostFunctionName, argsJson: string): string {
  Atomics.add(ctrl, CTRL_POSTED, 1);
  send({ type: "hostCall", id: requestId, fn, argsJson });
  for (;;) {
    const seen = Atomics.load(ctrl, CTRL_MAIL);
    const received = receiveMessageOnPort(replyPort);
    if (received !== undefined) {
      const envelope = received.message as HostReplyEnvelope;
      // Replies to calls of earlier requests (answered after their block was stopped) are stale.
      if (envelope.id === requestId) return envelope.replyJson;
      continue;
    }
    Atomics.wait(ctrl, CTRL_MAIL, seen, POLL_MS);
  }
}

function stopCheck(requestId: number): StopReason | undefined {
  if (Atomics.load(ctrl, CTRL_STOP_ID) !== requestId) return undefined;
  const reason = Atomics.load(ctrl, CTRL_STOP_REASON);
  if (reason === STOP_WALL_TIME) return "wall-time";
  if (reason === STOP_ABORT) return "abort";
  return undefined;
}

function current(): SandboxVm {
  if (vm === undefined) throw new Error("no sandbox session on this worker");
  return vm;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  const { id } = request;
  switch (request.type) {
    case "create": {
      if (vm !== undefined) throw new Error("this worker already hosts a session");
      const heapBytes = request.limits.memoryBytes;
      const instance =
        spare !== undefined && spare.heapBytes === heapBytes
          ? await spare.instance
          : await newQuickJSInstance(heapBytes, printErr, account);
      spare = undefined;
      vm = new SandboxVm(instance, request.contextJson, request.limits, hostBridge, stopCheck);
      return undefined;
    }
    case "run":
      if (request.debug === "crash") process.exit(70);
      if (request.debug === "hang") {
        // A hang outside QuickJS, which no interrupt handler can stop.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      }
      {
        const session = current();
        const outcome = session.run(request.code, id);
        if (session.needsNewInstance) {
          vm = session.successor(await newQuickJSInstance(session.memoryBytes, printErr, account));
        }
        return outcome;
      }
    case "getVar":
      return current().getVar(id, request.name);
    case "setVar":
      current().setVar(id, request.name, request.json);
      return undefined;
    case "listVars":
      return current().listVars(id);
    case "dispose": {
      const session = vm;
      vm = undefined;
      if (session === undefined) return { wasmBytes: 0 } satisfies DisposeReport;
      const report: DisposeReport = { wasmBytes: session.wasmBytes };
      const problem = session.dispose();
      if (problem !== undefined) report.problem = problem;
      if (session.dirty) report.dirty = true;
      if (problem === undefined && !session.dirty && report.wasmBytes <= init.recycleBelowBytes) {
        // The pool will reuse this worker: the small instance is dropped with the session, its
        // charge goes back to the shared budget now, and the next session gets a fresh one ready.
        session.releaseInstance();
        prepareSpare();
      }
      // Otherwise the pool terminates this worker, and only then is the memory really gone: what
      // its instances were charged stays counted in the shared budget until the pool gives it
      // back on exit, so other sessions cannot take memory that is still in use.
      return report;
    }
  }
}

async function serve(request: WorkerRequest): Promise<void> {
  let message: WorkerMessage;
  try {
    message = { type: "done", id: request.id, value: await handle(request) };
  } catch (error) {
    if (error instanceof Wasm.RuntimeError) {
      // QuickJS aborted (its instance is in an unknown state): let the pool replace this worker.
      throw error;
    }
    message = { type: "done", id: request.id, error: getErrorMessage(error) };
  }
  Atomics.add(ctrl, CTRL_POSTED, 1);
  send(message);
}

// A pending Atomics.waitAsync does not keep a thread alive by itself; this does, until the
// pool terminates the worker.
setInterval(() => {}, 2 ** 30);
prepareSpare();
send({ type: "ready" });
for (;;) {
  const seen = Atomics.load(ctrl, CTRL_MAIL);
  const received = receiveMessageOnPort(requestPort);
  if (received === undefined) {
    await waitAsync(ctrl, CTRL_MAIL, seen, IDLE_POLL_MS).value;
    continue;
  }
  await serve(received.message as WorkerRequest);
}
