import { afterEach, describe, expect, it, vi } from "vitest";
import { sampleResult } from "../cache/__fixtures__/result.ts";
import type { BudgetStatus, SearchRecord } from "../types.ts";
import { CallbackError } from "./callback-error.ts";
import { CallbackManager } from "./manager.ts";
import type { CallbackContext, DeepRecallCallbacks } from "./types.ts";

const ctx: CallbackContext = { runId: "run-1", query: "q" };
const result = sampleResult();
const step = result.reasoningTrace[0]!;
const search: SearchRecord = step.searches[0]!;
const status: BudgetStatus = result.budgetStatus;

/** Records every hook it receives as "name:hook". */
function recorder(name: string, log: string[]): DeepRecallCallbacks {
  const hook =
    (h: string) =>
    (..._args: unknown[]) => {
      log.push(`${name}:${h}`);
    };
  return {
    onQueryStart: hook("onQueryStart"),
    onIterationStart: hook("onIterationStart"),
    onIterationComplete: hook("onIterationComplete"),
    onSearch: hook("onSearch"),
    onReasoningStep: hook("onReasoningStep"),
    onBudgetWarning: hook("onBudgetWarning"),
    onError: hook("onError"),
    onQueryEnd: hook("onQueryEnd"),
  };
}

async function fireAll(manager: CallbackManager): Promise<void> {
  await manager.onQueryStart(ctx, { topK: 3 });
  await manager.onIterationStart(ctx, 1);
  await manager.onSearch(ctx, search);
  await manager.onReasoningStep(ctx, step);
  await manager.onIterationComplete(ctx, step);
  await manager.onBudgetWarning(ctx, status, "80% of maxSearchCalls used");
  await manager.onError(ctx, new Error("engine trouble"));
  await manager.onQueryEnd(ctx, result);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("CallbackManager", () => {
  it("fans every hook out to every callback, in registration order, with the arguments", async () => {
    const log: string[] = [];
    const args: unknown[][] = [];
    const manager = new CallbackManager([
      recorder("a", log),
      recorder("b", log),
      { onBudgetWarning: (...a: unknown[]) => void args.push(a) },
    ]);
    await fireAll(manager);
    const hooks = [
      "onQueryStart",
      "onIterationStart",
      "onSearch",
      "onReasoningStep",
      "onIterationComplete",
      "onBudgetWarning",
      "onError",
      "onQueryEnd",
    ];
    expect(log).toEqual(hooks.flatMap((h) => [`a:${h}`, `b:${h}`]));
    expect(args).toEqual([[ctx, status, "80% of maxSearchCalls used"]]);
  });

  it("awaits each callback before the next one and before resolving", async () => {
    const log: string[] = [];
    const slow: DeepRecallCallbacks = {
      async onSearch() {
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        log.push("slow done");
      },
    };
    const fast: DeepRecallCallbacks = {
      onSearch() {
        log.push("fast");
      },
    };
    const manager = new CallbackManager([slow, fast]);
    await manager.onSearch(ctx, search);
    log.push("resolved");
    expect(log).toEqual(["slow done", "fast", "resolved"]);
  });

  it("isolates a throwing or rejecting callback and tells the others' onError", async () => {
    const errors: unknown[] = [];
    const log: string[] = [];
    const thrower: DeepRecallCallbacks = {
      onSearch() {
        throw new Error("sync boom");
      },
      async onIterationStart() {
        throw new TypeError("async boom");
      },
      onError: vi.fn(),
    };
    const watcher: DeepRecallCallbacks = { ...recorder("w", log), onError: (_c, e) => void errors.push(e) };
    const manager = new CallbackManager([thrower, watcher]);

    await expect(manager.onSearch(ctx, search)).resolves.toBeUndefined();
    await expect(manager.onIterationStart(ctx, 2)).resolves.toBeUndefined();

    // The callbacks after the failing one still ran.
    expect(log).toEqual(["w:onSearch", "w:onIterationStart"]);
    expect(errors).toHaveLength(2);
    const [first, second] = errors as CallbackError[];
    expect(first).toBeInstanceOf(CallbackError);
    expect(first).toMatchObject({ hook: "onSearch", callbackName: "callback", code: "callback_error" });
    expect((first!.cause as Error).message).toBe("sync boom");
    expect(first!.message).toContain("sync boom");
    expect(second).toMatchObject({ hook: "onIterationStart" });
    expect(second!.cause).toBeInstanceOf(TypeError);
    // The failing callback is not told about its own failure.
    expect(thrower.onError).not.toHaveBeenCalled();
  });

  it("never loops when onError itself throws", async () => {
    const reported: CallbackError[] = [];
    const badOnError: DeepRecallCallbacks = {
      onError() {
        throw new Error("onError broke");
      },
    };
    const thrower: DeepRecallCallbacks = {
      onQueryEnd() {
        throw new Error("end broke");
      },
    };
    const manager = new CallbackManager([badOnError, thrower], { onCallbackError: (e) => reported.push(e) });
    await manager.onQueryEnd(ctx, result);
    await manager.onError(ctx, new Error("engine"));
    expect(reported.map((e) => [e.callbackName, e.hook, (e.cause as Error).message])).toEqual([
      ["callback", "onError", "onError broke"],
      ["callback", "onQueryEnd", "end broke"],
      ["callback", "onError", "onError broke"],
    ]);
  });

  it("emits a process warning when nobody else can hear about a failure", async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on("warning", listener);
    try {
      class Exploding implements DeepRecallCallbacks {
        onSearch(): void {
          throw new Error("alone");
        }
      }
      await new CallbackManager(new Exploding()).onSearch(ctx, search);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    expect(warnings.map((w) => w.message)).toEqual(["Callback Exploding.onSearch failed: alone"]);
  });

  it("adds, removes, finds, snapshots and nests", async () => {
    const log: string[] = [];
    const a = recorder("a", log);
    const b = recorder("b", log);
    const manager = new CallbackManager(a);
    manager.add(b).add(b);
    expect(manager.size).toBe(2);
    expect(manager.find((c): c is typeof b => c === b)).toBe(b);
    expect(manager.remove(a)).toBe(true);
    expect(manager.remove(a)).toBe(false);
    const outer = new CallbackManager([manager, recorder("c", log)]);
    await outer.onIterationStart(ctx, 1);
    expect(log).toEqual(["b:onIterationStart", "c:onIterationStart"]);
    // A callback registered during a hook only sees later hooks.
    const late = recorder("late", log);
    const adder: DeepRecallCallbacks = { onSearch: () => void manager.add(late) };
    manager.add(adder);
    log.length = 0;
    await manager.onSearch(ctx, search);
    await manager.onSearch(ctx, search);
    expect(log).toEqual(["b:onSearch", "b:onSearch", "late:onSearch"]);
    expect(() => manager.add(null as unknown as DeepRecallCallbacks)).toThrow(TypeError);
  });

  it("closes every closable callback and reports close failures", async () => {
    const closed: string[] = [];
    const closable = (close: () => Promise<void>): DeepRecallCallbacks & { close(): Promise<void> } => ({
      onQueryEnd() {},
      close,
    });
    const ok = closable(async () => void closed.push("ok"));
    const bad = closable(async () => {
      throw new Error("close failed");
    });
    const also = closable(async () => void closed.push("also"));
    await expect(new CallbackManager([ok, bad, also]).close()).rejects.toThrow("close failed");
    expect(closed).toEqual(["ok", "also"]);
    await expect(new CallbackManager([bad, bad, ok]).close()).rejects.toThrow("close failed");
    await expect(new CallbackManager([bad, closable(bad.close)]).close()).rejects.toBeInstanceOf(
      AggregateError,
    );
  });
});
