import { describe, expect, it } from "vitest";
import { Mutex } from "./mutex.ts";

describe("Mutex", () => {
  it("grants in order, and a waiter that aborts leaves the queue", async () => {
    const lock = new Mutex();
    const order: string[] = [];
    const releaseA = await lock.acquire();
    const controller = new AbortController();
    const b = lock.acquire(controller.signal).then((r) => {
      order.push("b");
      r();
    });
    const c = lock.acquire().then((r) => {
      order.push("c");
      r();
    });
    expect(lock.waiting).toBe(2);
    controller.abort(new Error("gone"));
    await expect(b).rejects.toThrow("gone");
    expect(lock.waiting).toBe(1);
    releaseA();
    await c;
    expect(order).toEqual(["c"]);
    await lock.acquire().then((r) => r()); // free again
  });
});
