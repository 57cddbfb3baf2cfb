import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, DeepRecallError } from "../errors.ts";
import { sampleResult } from "./__fixtures__/result.ts";
import { InMemoryCache } from "./memory.ts";
import { SqliteCache } from "./sqlite.ts";
import type { CacheStore } from "./types.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "deeprecall-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock tests move by hand. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

type Factory = (options: { ttlSeconds?: number; now?: () => number }) => CacheStore;

const factories: Array<[string, Factory]> = [
  ["InMemoryCache", (options) => new InMemoryCache(options)],
  ["SqliteCache", (options) => new SqliteCache({ path: join(dir, "nested", "dir", "cache.db"), ...options })],
];

describe.each(factories)("%s (CacheStore contract)", (_name, make) => {
  const opened: CacheStore[] = [];
  const open: Factory = (options) => {
    const cache = make(options);
    opened.push(cache);
    return cache;
  };
  afterEach(async () => {
    for (const cache of opened.splice(0)) await cache.close?.();
  });

  it("returns undefined for a missing key", async () => {
    const cache = open({});
    expect(await cache.get("nope")).toBeUndefined();
  });

  it("round-trips a full result so that the cached value equals the fresh one", async () => {
    const cache = open({});
    const fresh = sampleResult();
    await cache.set("q1", fresh);
    const cached = await cache.get("q1");
    expect(cached).toEqual(fresh);
    // Even the strict form holds: undefined fields are kept, not dropped.
    expect(cached).toStrictEqual(fresh);
    expect(cached).not.toBe(fresh);
  });

  it("round-trips values plain JSON would change", async () => {
    const cache = open({});
    const value = {
      arr: [1, undefined, null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      when: new Date("2024-05-06T07:08:09.010Z"),
      big: 12345678901234567890n,
      empty: {},
      text: 'unicode ✓ \u0000 "quotes"',
      $deeprecall$t: "user data that looks like a tag",
      $deeprecall$t$: { $deeprecall$t: "undefined" },
      ["__proto__"]: { polluted: true },
    };
    Object.defineProperty(value, "__proto__", { value: { polluted: true }, enumerable: true });
    await cache.set("odd", value);
    const back = await cache.get<typeof value>("odd");
    expect(back).toStrictEqual(value);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("stores top-level scalars, arrays and null", async () => {
    const cache = open({});
    for (const [key, value] of [
      ["s", "text"],
      ["n", 42],
      ["b", false],
      ["z", null],
      ["a", [{ id: "x" }, [1, [2]]]],
    ] as const) {
      await cache.set(key, value);
      expect(await cache.get(key)).toEqual(value);
    }
  });

  it("isolates stored values from later mutation by the caller", async () => {
    const cache = open({});
    const fresh = sampleResult();
    await cache.set("k", fresh);
    fresh.sources[0]!.content = "changed";
    const first = await cache.get<ReturnType<typeof sampleResult>>("k");
    expect(first?.sources[0]?.content).toBe("Ada Lovelace founded it.");
    first!.answer = "changed too";
    expect((await cache.get<ReturnType<typeof sampleResult>>("k"))?.answer).toBe(
      "It was founded by Ada Lovelace in 1843.",
    );
  });

  it("hands out a fresh copy of a plain JSON value on every get: same keys, same order, own __proto__", async () => {
    const cache = open({});
    const value: Record<string, unknown> = { z: 1, 2: "two", 1: "one", list: [{ a: [1, "x"] }, null, true] };
    Object.defineProperty(value, "__proto__", { value: { kept: true }, enumerable: true });
    await cache.set("plain", value);
    const first = await cache.get<Record<string, unknown>>("plain");
    const second = await cache.get<Record<string, unknown>>("plain");
    const parsed = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
    expect(first).toStrictEqual(parsed);
    expect(Object.keys(first!)).toEqual(Object.keys(parsed));
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect(Object.hasOwn(first!, "__proto__")).toBe(true);
    expect(second).not.toBe(first);
    expect(second!.list).not.toBe(first!.list);
    expect((second!.list as unknown[])[0]).not.toBe((first!.list as unknown[])[0]);
    ((first!.list as Array<{ a: unknown[] }>)[0]!.a as unknown[]).push("mutated");
    expect(await cache.get("plain")).toStrictEqual(parsed);
  });

  it("overwrites, deletes and clears", async () => {
    const cache = open({});
    await cache.set("a", 1);
    await cache.set("a", 2);
    await cache.set("b", 3);
    expect(await cache.get("a")).toBe(2);
    await cache.delete("a");
    await cache.delete("never-there");
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.get("b")).toBe(3);
    await cache.clear();
    expect(await cache.get("b")).toBeUndefined();
  });

  it("expires entries after the default TTL", async () => {
    const clock = manualClock();
    const cache = open({ ttlSeconds: 10, now: clock.now });
    await cache.set("k", { v: 1 });
    clock.advance(9_999);
    expect(await cache.get("k")).toEqual({ v: 1 });
    clock.advance(1);
    expect(await cache.get("k")).toBeUndefined();
    // Reading an expired entry does not resurrect it later either.
    expect(await cache.get("k")).toBeUndefined();
  });

  it("honours a per-entry TTL and 0 as never-expiring", async () => {
    const clock = manualClock();
    const cache = open({ ttlSeconds: 10, now: clock.now });
    await cache.set("short", "s", 1);
    await cache.set("long", "l", 100);
    await cache.set("forever", "f", 0);
    clock.advance(5_000);
    expect(await cache.get("short")).toBeUndefined();
    expect(await cache.get("long")).toBe("l");
    clock.advance(1_000_000_000);
    expect(await cache.get("long")).toBeUndefined();
    expect(await cache.get("forever")).toBe("f");
  });

  it("re-setting a key restarts its TTL", async () => {
    const clock = manualClock();
    const cache = open({ ttlSeconds: 10, now: clock.now });
    await cache.set("k", 1);
    clock.advance(8_000);
    await cache.set("k", 2);
    clock.advance(8_000);
    expect(await cache.get("k")).toBe(2);
  });

  it("rejects bad TTLs and keys with ConfigError", async () => {
    expect(() => make({ ttlSeconds: -1 })).toThrow(ConfigError);
    const cache = open({});
    await expect(cache.set("k", 1, Number.NaN)).rejects.toThrow(ConfigError);
    await expect(cache.set("", 1)).rejects.toThrow(ConfigError);
    await expect(cache.get(undefined as unknown as string)).rejects.toThrow(ConfigError);
  });
});

describe("InMemoryCache", () => {
  it("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = new InMemoryCache({ maxEntries: 3 });
    await cache.set("a", 1);
    await cache.set("b", 2);
    await cache.set("c", 3);
    // Touch "a" so "b" becomes the least recently used.
    expect(await cache.get("a")).toBe(1);
    await cache.set("d", 4);
    expect(await cache.get("b")).toBeUndefined();
    expect(await cache.get("a")).toBe(1);
    expect(await cache.get("c")).toBe(3);
    expect(await cache.get("d")).toBe(4);
    expect(cache.size).toBe(3);
  });

  it("uses the documented defaults", () => {
    const cache = new InMemoryCache();
    expect(cache.maxEntries).toBe(1000);
    expect(cache.ttlSeconds).toBe(3600);
  });

  it("rejects a bad maxEntries", () => {
    expect(() => new InMemoryCache({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new InMemoryCache({ maxEntries: 1.5 })).toThrow(ConfigError);
  });
});

describe("SqliteCache", () => {
  it("persists across instances on the same file", async () => {
    const path = join(dir, "persist.db");
    const first = new SqliteCache({ path });
    const fresh = sampleResult();
    await first.set("q", fresh);
    await first.close();

    const second = new SqliteCache({ path });
    expect(await second.get("q")).toStrictEqual(fresh);
    await second.close();
  });

  it("does not return rows that expired while no instance was open", async () => {
    const path = join(dir, "expire.db");
    const clock = manualClock();
    const first = new SqliteCache({ path, ttlSeconds: 60, now: clock.now });
    await first.set("k", "v");
    await first.set("keep", "v", 0);
    await first.close();
    clock.advance(61_000);
    const second = new SqliteCache({ path, now: clock.now });
    expect(await second.get("k")).toBeUndefined();
    expect(await second.get("keep")).toBe("v");
    await second.close();
  });

  it("purges expired rows", async () => {
    const clock = manualClock();
    const cache = new SqliteCache({ path: join(dir, "purge.db"), ttlSeconds: 1, now: clock.now });
    for (let i = 0; i < 5; i++) await cache.set(`k${i}`, i);
    await cache.set("keep", "v", 3600);
    clock.advance(2_000);
    expect(await cache.purgeExpired()).toBe(5);
    expect(await cache.purgeExpired()).toBe(0);
    expect(await cache.get("keep")).toBe("v");
    await cache.close();
  });

  it("sees writes of another open instance on the same file", async () => {
    const path = join(dir, "shared.db");
    const a = new SqliteCache({ path });
    const b = new SqliteCache({ path });
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).set(`k${i}`, { i })));
    for (let i = 0; i < 50; i++) {
      expect(await a.get(`k${i}`)).toEqual({ i });
      expect(await b.get(`k${i}`)).toEqual({ i });
    }
    await a.delete("k0");
    expect(await b.get("k0")).toBeUndefined();
    await b.clear();
    expect(await a.get("k1")).toBeUndefined();
    await a.close();
    await b.close();
  });

  it("stays consistent with several worker threads writing one file at once", async () => {
    const path = join(dir, "workers.db");
    const count = 200;
    const workers = 4;
    const results = await Promise.all(
      Array.from(
        { length: workers },
        (_, workerId) =>
          new Promise<{ workerId: number; mismatches: number }>((resolve, reject) => {
            const worker = new Worker(new URL("./__fixtures__/sqlite-writer.ts", import.meta.url), {
              workerData: { path, workerId, count },
            });
            worker.once("message", resolve);
            worker.once("error", reject);
            worker.once("exit", (code) => {
              if (code !== 0) reject(new Error(`worker ${workerId} exited with ${code}`));
            });
          }),
      ),
    );
    expect(results.map((r) => r.mismatches)).toEqual(Array(workers).fill(0));

    const cache = new SqliteCache({ path });
    for (let w = 0; w < workers; w++) {
      for (let i = 0; i < count; i++) {
        expect(await cache.get(`w${w}-${i}`)).toEqual({
          workerId: w,
          i,
          payload: { nested: [i, String(i)] },
        });
      }
    }
    const shared = await cache.get<{ lastWriter: number; i: number }>("shared");
    expect(shared?.i).toBe(count - 1);
    await cache.close();
  });

  it("works in memory", async () => {
    const cache = new SqliteCache({ path: ":memory:" });
    await cache.set("k", sampleResult());
    expect(await cache.get("k")).toEqual(sampleResult());
    await cache.close();
  });

  it("fails clearly when used after close", async () => {
    const cache = new SqliteCache({ path: join(dir, "closed.db") });
    await cache.close();
    await cache.close();
    await expect(cache.get("k")).rejects.toThrow(DeepRecallError);
    await expect(cache.set("k", 1)).rejects.toThrow(/closed/);
  });

  it("reports an unusable path as ConfigError naming it", async () => {
    const blocker = join(dir, "file");
    const other = new SqliteCache({ path: blocker });
    await other.close();
    // A path *below* a regular file cannot be created.
    expect(() => new SqliteCache({ path: join(blocker, "sub", "cache.db") })).toThrow(ConfigError);
    expect(() => new SqliteCache({ path: "" })).toThrow(/path/);
  });

  it("does not emit warnings from loading node:sqlite", async () => {
    const warnings: Error[] = [];
    const listener = (w: Error) => warnings.push(w);
    process.on("warning", listener);
    try {
      const cache = new SqliteCache({ path: join(dir, "warn.db") });
      await cache.close();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", listener);
    }
    expect(warnings.filter((w) => /sqlite/i.test(w.message))).toEqual([]);
  });
});
