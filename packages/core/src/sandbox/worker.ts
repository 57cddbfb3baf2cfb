/**
 * Sandbox worker thread: hosts any number of QuickJS sessions. It never returns to its event
 * loop: it blocks on `ctrl[CTRL_MAIL]` and pulls work from its ports (see protocol.ts).
 * `worker.terminate()` interrupts `Atomics.wait`, so the pool can always stop it.
 * Model code never sees anything from this file: it only reaches the QuickJS globals the prelude
 * defines.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import {
  CTRL_ABORT_BASE,
  CTRL_MAIL,
  type HostFunctionName,
  type HostReplyEnvelope,
  type WorkerInit,
  type WorkerMessage,
  type WorkerRequest,
} from "./protocol.ts";
import { SandboxVm } from "./vm.ts";

if (parentPort === null) throw new Error("sandbox worker must run in a worker thread");
const port = parentPort;
const { ctrl: ctrlBuffer, requestPort, replyPort } = workerData as WorkerInit;
const ctrl = new Int32Array(ctrlBuffer);

/**
 * Fallback poll interval. A post is visible on its port before the pool bumps CTRL_MAIL, so this
 * only matters if that ordering ever failed.
 */
const POLL_MS = 50;

const sessions = new Map<number, SandboxVm>();
const replies = new Map<number, string>();

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

function hostBridge(
  requestId: number,
  fn: HostFunctionName,
  argsJson: string,
): { replyJson: string; waitedMs: number } {
  const started = performance.now();
  send({ type: "hostCall", id: requestId, fn, argsJson });
  for (;;) {
    const seen = Atomics.load(ctrl, CTRL_MAIL);
    // Nested requests first: the pool posts them before it answers this call.
    if (serveOne()) continue;
    for (let r = receiveMessageOnPort(replyPort); r !== undefined; r = receiveMessageOnPort(replyPort)) {
      const envelope = r.message as HostReplyEnvelope;
      replies.set(envelope.id, envelope.replyJson);
    }
    const replyJson = replies.get(requestId);
    if (replyJson !== undefined) {
      replies.delete(requestId);
      return { replyJson, waitedMs: performance.now() - started };
    }
    Atomics.wait(ctrl, CTRL_MAIL, seen, POLL_MS);
  }
}

function abortRequested(requestId: number, depth: number): boolean {
  return Atomics.load(ctrl, CTRL_ABORT_BASE + depth) === requestId;
}

function session(sessionId: number): SandboxVm {
  const vm = sessions.get(sessionId);
  if (vm === undefined) throw new Error(`unknown sandbox session ${sessionId}`);
  return vm;
}

function handle(quickjs: QuickJSWASMModule, request: WorkerRequest): unknown {
  const { id, depth } = request;
  switch (request.type) {
    case "create": {
      const vm = new SandboxVm(quickjs, request.contextJson, request.limits, hostBridge, abortRequested);
      sessions.set(request.sessionId, vm);
      return undefined;
    }
    case "run":
      if (request.debug === "crash") process.exit(70);
      if (request.debug === "hang") {
        // A hang outside QuickJS, which no interrupt handler can stop.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      }
      return session(request.sessionId).run(request.code, id, depth);
    case "getVar":
      return session(request.sessionId).getVar(id, depth, request.name);
    case "setVar":
      session(request.sessionId).setVar(id, depth, request.name, request.json);
      return undefined;
    case "listVars":
      return session(request.sessionId).listVars(id, depth);
    case "dispose": {
      const vm = sessions.get(request.sessionId);
      sessions.delete(request.sessionId);
      vm?.dispose();
      return undefined;
    }
  }
}

const quickjs = await newQuickJSWASMModuleFromVariant(import("@jitl/quickjs-wasmfile-release-sync"));

/** Serves one waiting request, if there is one. */
function serveOne(): boolean {
  const received = receiveMessageOnPort(requestPort);
  if (received === undefined) return false;
  const request = received.message as WorkerRequest;
  let message: WorkerMessage;
  try {
    message = { type: "done", id: request.id, value: handle(quickjs, request) };
  } catch (error) {
    if (error instanceof Error && error.name === "RuntimeError") {
      // The WebAssembly instance is in an unknown state: let the pool replace this worker.
      throw error;
    }
    message = { type: "done", id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  send(message);
  return true;
}

send({ type: "ready" });
for (;;) {
  const seen = Atomics.load(ctrl, CTRL_MAIL);
  if (!serveOne()) Atomics.wait(ctrl, CTRL_MAIL, seen, POLL_MS * 20);
}
