import { describe, expect, it } from "vitest";
import { type SlotClaim, SlotWaitAbortedError, WorkerSlots } from "./worker-slots.ts";

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
    const top = (reserve: number): SlotClaim => ({ reserve, nested: false });
    const child = (reserve: number): SlotClaim => ({ reserve, nested: true });

    it("holds a worker for a session only while its reserve stays free for the levels below it", () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(top(2))).toBe(true); // a maxDepth-3 root: two levels may follow
      expect(slots.tryTake(top(2))).toBe(false); // a second root would leave one for two levels
      expect(slots.tryTake(child(1))).toBe(true); // its child: one level may follow
      expect(slots.tryTake(child(1))).toBe(false);
      expect(slots.tryTake(child(0))).toBe(true); // the grandchild waits on nobody
      expect(slots.holding).toBe(3);
      expect(slots.inUse).toBe(3);
      slots.unhold();
      expect(slots.holding).toBe(2);
    });

    it("cuts a reserve the cap can never leave to what it can", () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(top(4))).toBe(true);
      expect(slots.tryTake(child(0))).toBe(true);
    });

    it("lets a child past waiting top-level sessions, and serves the deepest child first", async () => {
      const slots = new WorkerSlots<string>(4);
      expect(slots.tryTake(top(1))).toBe(true); // parent 1
      expect(slots.tryTake(top(1))).toBe(true); // parent 2
      expect(slots.tryTake(top(1))).toBe(true); // parent 3: one worker left, for a child
      const order: string[] = [];
      const parent4 = track(order, "parent 4", slots.wait(A, undefined, top(1)));
      // A child of parent 1 takes the last worker though a parent waits in line.
      expect(slots.tryTake(child(0))).toBe(true);
      const middle = track(order, "child with a grandchild", slots.wait(B, undefined, child(1)));
      const leaf = track(order, "leaf child", slots.wait(B, undefined, child(0)));
      // A worker exits: the deepest child goes first, though it came last.
      slots.unhold();
      slots.give();
      await leaf;
      expect(order).toEqual(["leaf child"]);
      // The middle child may hold one only while one stays for its own child: two sessions end.
      slots.unhold();
      slots.give();
      await Promise.resolve();
      expect(order).toEqual(["leaf child"]);
      slots.unhold();
      slots.give();
      await middle;
      expect(order).toEqual(["leaf child", "child with a grandchild"]);
      // Parent 4 likewise.
      slots.unhold();
      slots.give();
      await parent4;
      expect(order).toEqual(["leaf child", "child with a grandchild", "parent 4"]);
    });

    it("never lets a top-level session overtake an earlier one: a deep query is not starved by shallow ones", async () => {
      const slots = new WorkerSlots<string>(3);
      for (let i = 0; i < 3; i++) expect(slots.tryTake(top(0))).toBe(true); // shallow queries
      const order: string[] = [];
      const deep = track(order, "deep", slots.wait(B, undefined, top(2)));
      const shallow = track(order, "shallow", slots.wait(A, undefined, top(0)));
      slots.unhold();
      slots.give();
      await Promise.resolve();
      // The shallow one could hold the free worker, but the deep one came first: both wait.
      expect(order).toEqual([]);
      expect(slots.tryTake(top(0))).toBe(false);
      slots.unhold();
      slots.give();
      slots.unhold();
      slots.give();
      await Promise.all([deep, shallow]);
      expect(order).toEqual(["deep", "shallow"]);
      expect(slots.holding).toBe(2);
    });

    it("serves no new top-level session while a child waits for its reserve", async () => {
      const slots = new WorkerSlots<string>(4);
      expect(slots.tryTake(top(2))).toBe(true); // a maxDepth-3 root
      for (let i = 0; i < 3; i++) expect(slots.tryTake(top(0))).toBe(true); // shallow queries
      const order: string[] = [];
      // The root's child needs one worker for itself and one for its own child.
      const kid = track(order, "child", slots.wait(B, undefined, child(1)));
      const shallow = track(order, "shallow", slots.wait(A, undefined, top(0)));
      // A shallow query ends: its worker could serve the next shallow one, but the child is
      // first, and it waits until two are free.
      slots.unhold({ settle: false });
      expect(slots.handOver(A, "worker-1")).toBe(false);
      expect(slots.tryTake(top(0))).toBe(false);
      slots.give();
      await Promise.resolve();
      expect(order).toEqual([]);
      // Another ends (its session, then its worker): the child first, then the shallow query.
      slots.unhold();
      slots.give();
      await Promise.all([kid, shallow]);
      expect(order).toEqual(["child", "shallow"]);
      expect(slots.holding).toBe(4);
    });

    it("lets the waiters a leaving waiter kept back go at once", async () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(top(0))).toBe(true);
      expect(slots.tryTake(top(0))).toBe(true);
      // A deep root waits for its reserve; a shallow query waits behind it though a slot is free.
      const controller = new AbortController();
      const deep = slots.wait(B, controller.signal, top(2));
      const shallow = slots.wait(A, undefined, top(0));
      expect(slots.inUse).toBe(2);
      controller.abort();
      await expect(deep).rejects.toBeInstanceOf(SlotWaitAbortedError);
      await expect(shallow).resolves.toEqual({ kind: "slot" });
      // Likewise when a closing pool's waiters are cancelled: here a child kept a shallow query back.
      const other = new WorkerSlots<string>(3);
      expect(other.tryTake(top(0))).toBe(true);
      expect(other.tryTake(top(0))).toBe(true);
      const kid = other.wait(B, undefined, child(1));
      const shallow2 = other.wait(A, undefined, top(0));
      expect(other.inUse).toBe(2);
      other.cancel(B, new Error("closed"));
      await expect(kid).rejects.toThrow("closed");
      await expect(shallow2).resolves.toEqual({ kind: "slot" });
    });

    it("gives a free slot to a waiter the rule kept out once a session ends, though no worker exits", async () => {
      const slots = new WorkerSlots<string>(3);
      expect(slots.tryTake(top(1))).toBe(true);
      expect(slots.tryTake(top(1))).toBe(true);
      const parent = slots.wait(A, undefined, top(1));
      expect(slots.inUse).toBe(2); // a slot is free, but taking it would leave none for a child
      // A session ends and its worker lives on (idle): the parent may hold one now.
      slots.unhold();
      await expect(parent).resolves.toEqual({ kind: "slot" });
      expect(slots.inUse).toBe(3);
      expect(slots.holding).toBe(2);
    });

    it("hands a worker over only to a waiter the rule lets hold it", async () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(top(1))).toBe(true);
      expect(slots.tryTake(child(0))).toBe(true);
      const parent = slots.wait(A, undefined, top(1));
      // The child's session ends, the parent's goes on: a new parent would leave nothing for its child.
      slots.unhold({ settle: false });
      expect(slots.handOver(A, "worker-1")).toBe(false);
      slots.unhold({ settle: false }); // the first parent's session ends too
      expect(slots.handOver(A, "worker-2")).toBe(true);
      await expect(parent).resolves.toEqual({ kind: "worker", worker: "worker-2" });
      expect(slots.holding).toBe(1);
    });

    it("ends idle workers only for waiters a free slot would serve", async () => {
      const slots = new WorkerSlots<string>(2);
      expect(slots.tryTake(top(1))).toBe(true); // a parent session
      expect(slots.tryTake()).toBe(true); // a spare, idle
      let shed = 0;
      slots.setIdle({ shedIdle: () => shed++ === 0 }, true);
      // A second parent would leave nothing for a child: ending the idle worker cannot help it.
      const parent = slots.wait(A, undefined, top(1));
      expect(slots.waiting).toBe(1);
      expect(slots.waitingServable).toBe(0);
      expect(shed).toBe(0);
      // A child can use that slot: the idle worker is ended for it.
      const kid = slots.wait(B, undefined, child(0));
      expect(slots.waitingServable).toBe(1);
      expect(shed).toBe(1);
      slots.give(); // the idle worker has exited
      await expect(kid).resolves.toEqual({ kind: "slot" });
      slots.unhold();
      slots.unhold();
      slots.give();
      slots.give();
      await expect(parent).resolves.toEqual({ kind: "slot" });
    });
  });
});
