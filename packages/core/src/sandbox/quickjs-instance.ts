/**
 * Worker side: a fresh QuickJS WebAssembly instance per session, each with a memory of its own
 * that cannot grow past the session's limit. A WebAssembly memory never shrinks, so sharing one
 * between sessions (as a single module instance would) lets one memory bomb keep gigabytes for
 * the life of the worker; an instance of its own is dropped, memory and all, with its session.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as releaseSync from "@jitl/quickjs-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { type MemoryBudget, PAGE_BYTES } from "./memory-budget.ts";

/**
 * The synchronous release build. Its default export is the variant; how a default export of a
 * CommonJS-typed package appears depends on the loader, hence the unwrapping.
 */
const RELEASE_SYNC = ((releaseSync as { default?: unknown }).default ?? releaseSync) as QuickJSSyncVariant;

/** The parts of a `WebAssembly.Memory` used here (the project's `lib` has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The WebAssembly API as used here. */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<object>;
  RuntimeError: new (...args: unknown[]) => Error;
}

/** The runtime's `WebAssembly` global. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** One instance: the QuickJS module and the memory it lives in. */
export interface QuickJSInstance {
  module: QuickJSWASMModule;
  memory: WasmMemory;
  /** Growths of `memory` the shared budget refused so far (each made an allocation fail). */
  readonly budgetRefusals: number;
  /** Gives the pages this instance grew by back to the shared budget (call when dropping it). */
  release(): void;
}

/**
 * Where an instance's growth is accounted: the budget shared by all sessions, and `held`, the
 * count of pages this worker holds (the pool gives those back itself if the worker dies).
 */
export interface GrowthAccount {
  budget: MemoryBudget;
  held(pages: number): void;
}
/**
 * What the build needs besides the QuickJS heap: its declared initial memory (static data and
 * the C stack), plus room for the allocator's own bookkeeping.
 */
export const INSTANCE_OVERHEAD_BYTES = 20 * 1024 * 1024;
/** The build's declared initial memory and maximum, in pages. */
const INITIAL_PAGES = 256;
const MODULE_MAX_PAGES = 32_768;

const require = createRequire(import.meta.url);
let compiled: Promise<object> | undefined;

/** Compiles the QuickJS WebAssembly once per worker; instances are then ~1.5 ms each. */
function compiledModule(): Promise<never> {
  compiled ??= readFile(require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm")).then((bytes) =>
    Wasm.compile(bytes),
  );
  return compiled as Promise<never>;
}

/**
 * A new QuickJS instance whose memory is capped at `heapBytes` plus the build's fixed overhead,
 * and whose growth beyond its initial size is taken from `account` when one is given.
 * `printErr` receives what the C code prints to stderr (failed assertions before an abort).
 */
export async function newQuickJSInstance(
  heapBytes: number,
  printErr: (text: string) => void,
  account?: GrowthAccount,
): Promise<QuickJSInstance> {
  const maximum = Math.min(MODULE_MAX_PAGES, Math.ceil((heapBytes + INSTANCE_OVERHEAD_BYTES) / PAGE_BYTES));
  const memory = new Wasm.Memory({ initial: INITIAL_PAGES, maximum });
  /** Pages taken from the budget: the growth, plus the initial pages once there is any. */
  let charged = 0;
  let refusals = 0;
  if (account !== undefined) {
    // Emscripten's heap resize calls `grow` on this very object inside a try/catch and makes the
    // allocation fail when every attempt throws: a refusal is an ordinary out-of-memory there.
    const grow = memory.grow.bind(memory);
    Object.defineProperty(memory, "grow", {
      value: (pages: number): number => {
        // An instance that grows has used its initial memory to the end, so from its first growth
        // on that memory is real too and is charged with it. (An instance that never grows has
        // touched only part of it: that part is in its worker's fixed cost, bounded by the cap on
        // workers.)
        const cost = charged === 0 ? pages + INITIAL_PAGES : pages;
        if (!account.budget.take(cost)) {
          refusals++;
          throw new RangeError("the sandboxes' shared memory budget is spent");
        }
        let before: number;
        try {
          before = grow(pages);
        } catch (error) {
          account.budget.give(cost);
          throw error;
        }
        charged += cost;
        account.held(cost);
        return before;
      },
    });
  }
  const module = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, {
      wasmModule: compiledModule,
      wasmMemory: memory as never,
      // Emscripten honours print/printErr on its module object; the loader's type omits them.
      emscriptenModule: { printErr, print: printErr } as Record<string, unknown>,
    }),
  );
  return {
    module,
    memory,
    get budgetRefusals() {
      return refusals;
    },
    release() {
      if (account === undefined || charged === 0) return;
      account.held(-charged);
      account.budget.give(charged);
      charged = 0;
    },
  };
}
