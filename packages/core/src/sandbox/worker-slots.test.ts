import { describe, expect, it } from "vitest";
import { SlotWaitAbortedError, WorkerSlots } from "./worker-slots.ts";

const A = { name: "pool A" };
const B = { name: "pool B" };

/** Records the order in which waits were granted. */
function track<T>(order: string[], label: string, wait: Promise<T>): Promise<T> {
  return wait.then((grant) => {
    order.push(label);
    return grant;
  });
}

describe("WorkerSlots", () => {
  it("grants up to its capacity, then serves waiters first come first served as workers exit", async () => {
    const slots = new WorkerSlots<string>(2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(false);
    const order: string[] = [];
    const first = track(order, "first", slots.wait(A));
    const second = track(order, "second", slots.wait(B));
    expect(slots.waiting).toBe(2);
    expect(slots.waitingFor(A)).toBe(1);
    slots.give();
    await expect(first).resolves.toEqual({ kind: "slot" });
    expect(order).toEqual(["first"]);
    // The slot went to the waiter: still two in use, and nobody jumps the line.
    expect(slots.inUse).toBe(2);
    expect(slots.tryTake()).toBe(false);
    slots.give();
    await second;
    expect(order).toEqual(["first", "second"]);
    slots.give();
    slots.give();
    expect(slots.inUse).toBe(0);
  });

  it("does not let tryTake jump the line while someone waits, even with a slot free", async () => {
    const slots = new WorkerSlots<string>(1);
    expect(slots.tryTake()).toBe(true);
    const waiting = slots.wait(A);
    slots.give();
    await waiting;
    expect(slots.tryTake()).toBe(false);
  });

  it("an aborted waiter leaves the line holding nothing; the next one gets the slot", async () => {
    const slots = new WorkerSlots<string>(1);
    expect(slots.tryTake()).toBe(true);
    const controller = new AbortController();
    const leaving = slots.wait(A, controller.signal);
    const staying = slots.wait(B);
    controller.abort();
    await expect(leaving).rejects.toBeInstanceOf(SlotWaitAbortedError);
    expect(slots.waiting).toBe(1);
    slots.give();
    await expect(staying).resolves.toEqual({ kind: "slot" });
    expect(slots.inUse).toBe(1);
    await expect(slots.wait(A, AbortSignal.abort())).rejects.toBeInstanceOf(SlotWaitAbortedError);
    expect(slots.waiting).toBe(0);
  });

  it("hands a worker over only to its own pool's waiter at the head of the line", async () => {
    const slots = new WorkerSlots<string>(1);
    expect(slots.tryTake()).toBe(true);
    const foreign = slots.wait(B);
    const own = slots.wait(A);
    expect(slots.handOver(A, "worker-1")).toBe(false);
    slots.give();
    await expect(foreign).resolves.toEqual({ kind: "slot" });
    expect(slots.handOver(A, "worker-2")).toBe(true);
    await expect(own).resolves.toEqual({ kind: "worker", worker: "worker-2" });
    expect(slots.handOver(A, "worker-3")).toBe(false);
  });

  it("asks pools with idle workers to end one per waiter, and stops asking once covered", async () => {
    const slots = new WorkerSlots<string>(2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(true);
    let idle = 2;
    const holder = {
      shedIdle: () => {
        if (idle === 0) return false;
        idle -= 1;
        return true;
      },
    };
    slots.setIdle(holder, true); // nobody waits: nothing is shed
    expect(idle).toBe(2);
    const first = slots.wait(A);
    expect(idle).toBe(1);
    slots.setIdle(holder, true); // asked again: the waiter is already covered
    expect(idle).toBe(1);
    const second = slots.wait(A);
    expect(idle).toBe(0);
    slots.give();
    slots.give();
    await Promise.all([first, second]);
  });

  it("cancels the waiters of one pool only", async () => {
    const slots = new WorkerSlots<string>(1);
    expect(slots.tryTake()).toBe(true);
    const mine = slots.wait(A);
    const theirs = slots.wait(B);
    slots.cancel(A, new Error("closed"));
    await expect(mine).rejects.toThrow("closed");
    expect(slots.waiting).toBe(1);
    slots.give();
    await expect(theirs).resolves.toEqual({ kind: "slot" });
  });

  describe("nested sessions (a reserve for the levels a session may wait on)", () => {
    it("holds a worker for a session only while its reserve stays free for the levels below it", () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(2)).toBe(true); // a maxDepth-3 root: two levels may follow
      expect(slots.tryTake(2)).toBe(false); // a second root would leave one for two levels
      expect(slots.tryTake(1)).toBe(true); // its child: one level may follow
      expect(slots.tryTake(1)).toBe(false);
      expect(slots.tryTake(0)).toBe(true); // the grandchild waits on nobody
      expect(slots.holding).toBe(3);
      expect(slots.inUse).toBe(3);
      slots.unhold();
      expect(slots.holding).toBe(2);
    });

    it("cuts a reserve the cap can never leave (maxDepth above maxWorkers) to what it can", () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(4)).toBe(true);
      expect(slots.tryTake(0)).toBe(true);
    });

    it("lets a child past its waiting parent-level sessions, and serves the deepest waiter first", async () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(1)).toBe(true); // parent 1
      expect(slots.tryTake(1)).toBe(true); // parent 2: one worker left, for a child
      const order: string[] = [];
      const parent3 = track(order, "parent 3", slots.wait(A, undefined, 1));
      // A child of parent 1 or 2 takes the last worker though a parent waits in line.
      expect(slots.tryTake(0)).toBe(true);
      const child = track(order, "child", slots.wait(B, undefined, 0));
      // A worker of a parent exits: the child waiting after parent 3 goes first.
      slots.unhold();
      slots.give();
      await child;
      expect(order).toEqual(["child"]);
      expect(slots.holding).toBe(3);
      // Two sessions end: now parent 3 may hold one and still leave one for its child.
      slots.unhold();
      slots.give();
      await Promise.resolve();
      expect(order).toEqual(["child"]); // 2 held + 1 + 1 > 3: still waiting
      slots.unhold();
      slots.give();
      await parent3;
      expect(order).toEqual(["child", "parent 3"]);
      expect(slots.holding).toBe(2);
    });

    it("gives a free slot to a waiter the rule kept out once a session ends, though no worker exits", async () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(1)).toBe(true);
      expect(slots.tryTake(1)).toBe(true);
      const parent = slots.wait(A, undefined, 1);
      expect(slots.inUse).toBe(2); // a slot is free, but taking it would leave none for a child
      // A session ends and its worker lives on (idle): the parent may hold one now.
      slots.unhold();
      await expect(parent).resolves.toEqual({ kind: "slot" });
      expect(slots.inUse).toBe(3);
      expect(slots.holding).toBe(2);
    });

    it("hands a worker over only to a waiter the rule lets hold it", async () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(1)).toBe(true);
      expect(slots.tryTake(0)).toBe(true);
      const parent = slots.wait(A, undefined, 1);
      // The child's session ends, the parent's goes on: a new parent would leave nothing for its child.
      slots.unhold();
      expect(slots.handOver(A, "worker-1")).toBe(false);
      slots.unhold(); // the first parent's session ends too
      expect(slots.handOver(A, "worker-2")).toBe(true);
      await expect(parent).resolves.toEqual({ kind: "worker", worker: "worker-2" });
      expect(slots.holding).toBe(1);
    });

    it("ends idle workers only for waiters a free slot could serve", async () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(1)).toBe(true); // a parent session
      expect(slots.tryTake()).toBe(true); // a spare, idle
      let shed = 0;
      slots.setIdle({ shedIdle: () => shed++ === 0 }, true);
      // A second parent would leave nothing for a child: ending the idle worker cannot help it.
      const parent = slots.wait(A, undefined, 1);
      expect(slots.waiting).toBe(1);
      expect(slots.waitingEligible).toBe(0);
      expect(shed).toBe(0);
      // A child can use that slot: the idle worker is ended for it.
      const child = slots.wait(B, undefined, 0);
      expect(slots.waitingEligible).toBe(1);
      expect(shed).toBe(1);
      slots.give(); // the idle worker has exited
      await expect(child).resolves.toEqual({ kind: "slot" });
      slots.unhold();
      slots.unhold();
      slots.give();
      slots.give();
      await expect(parent).resolves.toEqual({ kind: "slot" });
    });
  });
});
