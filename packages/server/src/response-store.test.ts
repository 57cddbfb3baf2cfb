import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_RESPONSES,
  type KeptResponse,
  ResponseStore,
  type StoredResponse,
} from "./response-store.ts";

/** A stored response `id` whose JSON is `size` bytes, with one output message `msg_<id>`. */
function record(id: string, size = 100): StoredResponse {
  const base = JSON.stringify({ id, pad: "" });
  return {
    id,
    response: JSON.stringify({ id, pad: "x".repeat(Math.max(0, size - base.length)) }),
    input: [],
    output: [{ id: `msg_${id}`, type: "message", role: "assistant", status: "completed", content: [] }],
  };
}

/** A kept response as the record it was put as (its items parsed). */
function kept(k: KeptResponse | undefined): StoredResponse | undefined {
  return k && { id: k.id, response: k.response, input: k.input(), output: k.output() };
}

/** The bytes `record(id, size)` counts for. */
function bytesOf(r: StoredResponse): number {
  return (
    Buffer.byteLength(r.response) +
    Buffer.byteLength(JSON.stringify(r.input)) +
    Buffer.byteLength(JSON.stringify(r.output))
  );
}

describe("ResponseStore", () => {
  it("keeps responses per scope: another scope sees nothing, cannot delete, cannot resolve its items", () => {
    const store = new ResponseStore();
    expect(store.maxResponses).toBe(DEFAULT_MAX_RESPONSES);
    expect(store.maxBytes).toBe(DEFAULT_MAX_RESPONSE_BYTES);
    const r = record("resp_a");
    expect(store.put("key-a", r)).toBe(true);
    expect(kept(store.get("key-a", "resp_a"))).toEqual(r);
    expect(store.get("key-b", "resp_a")).toBeUndefined();
    expect(store.get("", "resp_a")).toBeUndefined();
    expect(store.item("key-a", "msg_resp_a")).toMatchObject({ type: "message" });
    expect(store.item("key-b", "msg_resp_a")).toBeUndefined();
    expect(store.delete("key-b", "resp_a")).toBe(false);
    expect(kept(store.get("key-a", "resp_a"))).toEqual(r);
    expect(store.delete("key-a", "resp_a")).toBe(true);
    expect(store.get("key-a", "resp_a")).toBeUndefined();
    expect(store.item("key-a", "msg_resp_a")).toBeUndefined();
    expect(store.delete("key-a", "resp_a")).toBe(false);
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it("evicts the least recently used past maxResponses; a get or an item lookup is a use", () => {
    const store = new ResponseStore({ maxResponses: 3 });
    for (const id of ["r1", "r2", "r3"]) store.put("s", record(id));
    store.get("s", "r1"); // r2 is now the least recently used
    store.put("s", record("r4"));
    expect(store.size).toBe(3);
    expect(store.get("s", "r2")).toBeUndefined();
    expect(store.item("s", "msg_r2")).toBeUndefined();
    store.item("s", "msg_r3"); // order now: r1, r4, r3
    store.put("s", record("r5"));
    expect(store.get("s", "r1")).toBeUndefined();
    expect(["r3", "r4", "r5"].map((id) => store.get("s", id)?.id)).toEqual(["r3", "r4", "r5"]);
  });

  it("another scope's read does not count as a use", () => {
    const store = new ResponseStore({ maxResponses: 2 });
    store.put("a", record("r1"));
    store.put("a", record("r2"));
    store.get("b", "r1");
    store.put("a", record("r3"));
    expect(store.get("a", "r1")).toBeUndefined();
    expect(store.get("a", "r2")?.id).toBe("r2");
  });

  it("evicts the least recently used past maxBytes, counting the response and its items' JSON", () => {
    const one = bytesOf(record("r1", 1000));
    const store = new ResponseStore({ maxBytes: one * 3 + 10 });
    for (const id of ["r1", "r2", "r3"]) store.put("s", record(id, 1000));
    expect(store.size).toBe(3);
    expect(store.bytes).toBe(one * 3);
    store.get("s", "r1");
    // Twice the size: r2 and r3 (the least recently used) go to make room.
    const big = record("r4", 2000);
    store.put("s", big);
    expect(store.get("s", "r2")).toBeUndefined();
    expect(store.get("s", "r3")).toBeUndefined();
    expect(store.get("s", "r1")?.id).toBe("r1");
    expect(store.bytes).toBe(one + bytesOf(big));
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
  });

  it("a response bigger than maxBytes on its own is not kept (and replaces nothing else)", () => {
    const store = new ResponseStore({ maxBytes: 500 });
    store.put("s", record("small", 100));
    expect(store.put("s", record("huge", 600))).toBe(false);
    expect(store.get("s", "huge")).toBeUndefined();
    expect(store.get("s", "small")?.id).toBe("small");
  });

  it("putting the same id again replaces it (bytes counted once, old items unindexed)", () => {
    const store = new ResponseStore();
    store.put("s", record("r1", 100));
    const again = { ...record("r1", 300), output: [] };
    store.put("s", again);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(bytesOf(again));
    expect(store.item("s", "msg_r1")).toBeUndefined();
  });

  it("holds about the bytes it counts, whatever JSON a client sent (no object graph many times its text)", () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const store = new ResponseStore({ maxBytes: 1024 * 1024 });
    // 900 kB of JSON text ("[]," 300 000 times): about 12 MB as objects on the heap.
    const hostile = (): StoredResponse => ({
      id: "resp_h",
      response: "{}",
      input: [
        {
          id: "fco_1",
          type: "function_call_output",
          call_id: "c",
          output: Array.from({ length: 300_000 }, () => []),
        },
      ],
      output: [],
    });
    // Put from a frame of its own, so that no register of this one keeps the record alive.
    const put = () => expect(store.put("s", hostile())).toBe(true);
    gc();
    const before = process.memoryUsage().heapUsed;
    put();
    gc();
    const held = process.memoryUsage().heapUsed - before;
    expect(store.bytes).toBeLessThanOrEqual(store.maxBytes);
    expect(held).toBeLessThan(3 * store.maxBytes);
  });

  it("what get returns is the caller's own copy: changing it changes nothing kept", () => {
    const store = new ResponseStore();
    const r = record("resp_a");
    store.put("s", r);
    (r.output[0] as unknown as { role: string }).role = "user";
    const kept = store.get("s", "resp_a")!;
    expect(kept.output()[0]).toMatchObject({ role: "assistant" });
    (kept.output()[0] as unknown as { role: string }).role = "user";
    expect(store.get("s", "resp_a")!.output()[0]).toMatchObject({ role: "assistant" });
  });
});
