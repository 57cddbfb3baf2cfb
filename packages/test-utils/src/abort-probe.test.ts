import { describe, expect, it, vi } from "vitest";
import { abortableDelay, abortProbe, untilAborted } from "./abort-probe.ts";
import { scriptedModel } from "./scripted-model.ts";

describe("untilAborted", () => {
  it("rejects with the signal's reason when it aborts, or at once when it already has", async () => {
    const controller = new AbortController();
    const waiting = untilAborted(controller.signal);
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(untilAborted(AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it("rejects at once without a signal, since nothing could ever end the wait", async () => {
    await expect(untilAborted(undefined)).rejects.toThrow("the model call got no abort signal");
  });

  it("never settles before the abort", async () => {
    const controller = new AbortController();
    const settled = vi.fn();
    untilAborted(controller.signal).then(settled, settled);
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).not.toHaveBeenCalled();
    controller.abort();
    await new Promise((r) => setTimeout(r, 0));
    expect(settled).toHaveBeenCalledOnce();
  });
});

describe("abortableDelay", () => {
  it("resolves after the delay, and leaves no listener on the signal", async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    await expect(abortableDelay(5, controller.signal)).resolves.toBeUndefined();
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
    await expect(abortableDelay(1)).resolves.toBeUndefined();
  });

  it("rejects with the reason as soon as the signal aborts, long before the delay", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = abortableDelay(60_000, controller.signal);
    const reason = new Error("cancelled");
    setTimeout(() => controller.abort(reason), 5);
    await expect(waiting).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(abortableDelay(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe("abortProbe", () => {
  it("records the model call's signal, says when the call started, and ends it when aborted", async () => {
    const probe = abortProbe();
    const model = scriptedModel([probe.reply]);
    const controller = new AbortController();
    const call = Promise.resolve(model.doGenerate({ prompt: [], abortSignal: controller.signal }));
    call.catch(() => {});
    await probe.started;
    expect(probe.signal).toBe(controller.signal);
    expect(probe.aborted).toBe(false);
    controller.abort(new Error("client gone"));
    await expect(call).rejects.toThrow("client gone");
    expect(probe.aborted).toBe(true);
  });

  it("fails the call at once when it got no abort signal (it could never be cancelled)", async () => {
    const probe = abortProbe();
    await expect(probe.reply({})).rejects.toThrow("the model call got no abort signal");
    await probe.started;
    expect(probe.signal).toBeUndefined();
    expect(probe.aborted).toBe(false);
  });
});
