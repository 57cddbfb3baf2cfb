import { randomUUID } from "node:crypto";
import { deserializeValue as deserialize, serializeValue as serialize } from "@deeprecall/core";
import { freePort } from "@deeprecall/test-utils";
import { afterAll, describe, expect, inject, it } from "vitest";
import { RedisCache } from "./cache.ts";
import { RedisConnection } from "./connection.ts";
import { RedisUnavailableError } from "./errors.ts";

const url = inject("redisUrl");
// Non-empty when redis-server is missing outside CI: the suites below are skipped, saying so.
const redisSkip = inject("redisSkip");
const silent = () => {};
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
});
function cache(options: ConstructorParameters<typeof RedisCache>[0] = {}) {
  const c = new RedisCache({ url, prefix: `t-${randomUUID()}:`, logger: silent, ...options });
  open.push(c);
  return c;
}
const tricky = {
  answer: "ok",
  nested: { list: [1, undefined, Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY, null] },
  missing: undefined,
  when: new Date("2024-05-06T07:08:09.010Z"),
  big: 12345678901234567890n,
  $dr$t: "looks like a tag",
  $dr$t$: "so does this",
  tagShaped: { $dr$t: "u" },
  unicode: "naïve — 日本語 🙂",
  empty: {},
};

describe("codec", () => {
  it("round-trips values plain JSON would change", () => {
    expect(deserialize(serialize(tricky))).toStrictEqual(tricky);
    expect(deserialize(serialize(undefined))).toBeUndefined();
    expect(deserialize(serialize(-0.5))).toBe(-0.5);
    const withProto = JSON.parse('{"__proto__": {"polluted": true}}');
    const back = deserialize<Record<string, unknown>>(serialize(withProto));
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe.skipIf(redisSkip)(`RedisCache${redisSkip}`, () => {
  it("stores values that read back deep-equal, across instances (replicas)", async () => {
    const prefix = `t-${randomUUID()}:`;
    const a = cache({ prefix });
    const b = cache({ prefix });
    await a.set("k1", tricky);
    expect(await b.get("k1")).toStrictEqual(tricky);
    expect(await b.get("absent")).toBeUndefined();
    await b.delete("k1");
    expect(await a.get("k1")).toBeUndefined();
  });

  it("sets the TTL with PX (default and per entry; 0 = none)", async () => {
    const prefix = `t-${randomUUID()}:`;
    // TTLs long enough that no stall between SET and PTTL lets a key expire (gone: PTTL -2), and
    // far enough apart that each key's shows which one was applied.
    const c = cache({ prefix, ttlSeconds: 1000 });
    const conn = new RedisConnection({ url, logger: silent });
    open.push(conn);
    await c.set("default", 1);
    await c.set("short", 1, 250.5); // a fraction of a second too (EX would refuse it: no key)
    await c.set("forever", 1, 0);
    const pttl = (k: string) => conn.command<number>(["PTTL", `${prefix}cache:${k}`]).then(Number);
    const d = await pttl("default");
    expect(d).toBeGreaterThan(900_000);
    expect(d).toBeLessThanOrEqual(1_000_000);
    const s = await pttl("short");
    expect(s).toBeGreaterThan(200_000);
    expect(s).toBeLessThanOrEqual(250_500);
    expect(await pttl("forever")).toBe(-1);
    await expect(c.set("bad", 1, -1)).rejects.toThrow(/ttlSeconds/);
    await expect(c.get("")).rejects.toThrow(/non-empty/);
  });

  it("clear() deletes only its own prefix, across SCAN batches, and nothing else", async () => {
    const prefix = `t-[*?]-${randomUUID()}:`; // glob characters in the prefix must match literally
    const mine = cache({ prefix, scanCount: 7 });
    const neighbour = cache({ prefix: `t-x-${randomUUID()}:` });
    const conn = new RedisConnection({ url, logger: silent });
    open.push(conn);
    const foreign = `t-foreign-${randomUUID()}`;
    await conn.command(["SET", foreign, "keep"]);
    await Promise.all(Array.from({ length: 60 }, (_, i) => mine.set(`k${i}`, { i })));
    await neighbour.set("n", "keep");
    await mine.clear();
    for (let i = 0; i < 60; i += 13) expect(await mine.get(`k${i}`)).toBeUndefined();
    const left = await conn.command<[string, string[]]>([
      "SCAN",
      "0",
      "MATCH",
      `${prefix.replace(/[*?[\]]/g, "\\$&")}*`,
      "COUNT",
      "10000",
    ]);
    expect(left[1]).toEqual([]);
    expect(await neighbour.get("n")).toBe("keep");
    expect(await conn.command(["GET", foreign])).toBe("keep");
    await conn.command(["DEL", foreign]);
  });

  it("treats an undecodable entry as a miss", async () => {
    const prefix = `t-${randomUUID()}:`;
    const c = cache({ prefix });
    const conn = new RedisConnection({ url, logger: silent });
    open.push(conn);
    await conn.command(["SET", `${prefix}cache:junk`, "{not json"]);
    expect(await c.get("junk")).toBeUndefined();
    expect(await conn.command(["EXISTS", `${prefix}cache:junk`])).toBe(0);
  });

  it("fails open (miss, no-op) or closed when Redis is unreachable", async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const lenient = cache({ url: dead });
    await lenient.set("k", 1);
    expect(await lenient.get("k")).toBeUndefined();
    await lenient.delete("k");
    await lenient.clear();
    const strict = cache({ url: dead, failOpen: false });
    await expect(strict.get("k")).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(strict.set("k", 1)).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(strict.clear()).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});
