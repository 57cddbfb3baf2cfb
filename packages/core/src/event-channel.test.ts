import { describe, expect, it } from "vitest";
import { EventChannel } from "./event-channel.ts";

describe("EventChannel", () => {
  it("delivers buffered and later values in order, then ends", async () => {
    const ch = new EventChannel<number>();
    ch.push(1);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const v of ch) seen.push(v);
    })();
    ch.push(2);
    await Promise.resolve();
    ch.push(3);
    ch.close();
    await reading;
    expect(seen).toEqual([1, 2, 3]);
  });

  it("rethrows a failure after the buffered values", async () => {
    const ch = new EventChannel<number>();
    ch.push(1);
    ch.fail(new Error("boom"));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of ch) seen.push(v);
      })(),
    ).rejects.toThrow("boom");
    expect(seen).toEqual([1]);
  });
});
