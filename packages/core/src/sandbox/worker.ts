/**
 * Sandbox worker thread: hosts any number of QuickJS sessions and serves one request at a time
 * from the pool. Model code never sees anything from this file: it only reaches the QuickJS
 * globals the prelude defines.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import {
  CTRL_ABORT,
  CTRL_REPLY,
  type HostFunctionName,
  type WorkerInit,
  type WorkerMessage,
  type WorkerRequest,
} from "./protocol.ts";
import { SandboxVm } from "./vm.ts";

if (parentPort === null) throw new Error("sandbox worker must run in a worker thread");
const port = parentPort;
const { ctrl: ctrlBuffer, replyPort } = workerData as WorkerInit;
const ctrl = new Int32Array(ctrlBuffer);

const sessions = new Map<number, SandboxVm>();
let currentRequest = 0;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

function hostBridge(fn: HostFunctionName, argsJson: string): { replyJson: string; waitedMs: number } {
  const started = performance.now();
  Atomics.store(ctrl, CTRL_REPLY, 0);
  send({ type: "hostCall", id: currentRequest, fn, argsJson });
  for (;;) {
    while (Atomics.load(ctrl, CTRL_REPLY) === 0) Atomics.wait(ctrl, CTRL_REPLY, 0);
    const received = receiveMessageOnPort(replyPort);
    if (received !== undefined) {
      Atomics.store(ctrl, CTRL_REPLY, 0);
      return { replyJson: received.message as string, waitedMs: performance.now() - started };
    }
    // Flag seen before the message became visible on this port: wait briefly and retry.
    Atomics.wait(ctrl, CTRL_REPLY, 1, 1);
  }
}

function abortRequested(requestId: number): boolean {
  return Atomics.load(ctrl, CTRL_ABORT) === requestId;
}

function session(sessionId: number): SandboxVm {
  const vm = sessions.get(sessionId);
  if (vm === undefined) throw new Error(`unknown sandbox session ${sessionId}`);
  return vm;
}

function handle(module: QuickJSWASMModule, request: WorkerRequest): unknown {
  switch (request.type) {
    case "create": {
      const vm = new SandboxVm(module, request.contextJson, request.limits, hostBridge, abortRequested);
      sessions.set(request.sessionId, vm);
      return undefined;
    }
    case "run":
      if (request.debug === "crash") process.exit(70);
      if (request.debug === "hang") {
        // A hang outside QuickJS, which no interrupt handler can stop.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      }
      return session(request.sessionId).run(request.code, request.id);
    case "getVar":
      return session(request.sessionId).getVar(request.id, request.name);
    case "setVar":
      session(request.sessionId).setVar(request.id, request.name, request.json);
      return undefined;
    case "listVars":
      return session(request.sessionId).listVars(request.id);
    case "dispose": {
      const vm = sessions.get(request.sessionId);
      sessions.delete(request.sessionId);
      vm?.dispose();
      return undefined;
    }
  }
}

const module = await newQuickJSWASMModuleFromVariant(import("@jitl/quickjs-wasmfile-release-sync"));

port.on("message", (request: WorkerRequest) => {
  currentRequest = request.id;
  try {
    const value = handle(module, request);
    send({ type: "done", id: request.id, value });
  } catch (error) {
    if (error instanceof Error && error.name === "RuntimeError") {
      // The WebAssembly instance is in an unknown state: let the pool replace this worker.
      throw error;
    }
    send({ type: "done", id: request.id, error: error instanceof Error ? error.message : String(error) });
  } finally {
    currentRequest = 0;
  }
});
send({ type: "ready" });
